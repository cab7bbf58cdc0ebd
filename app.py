"""genart: DeepDream, neural style transfer and a DCGAN in the browser. Run: python app.py"""

from genart.ui.server import configure_environment, start_warm_up, warm_up_wanted

configure_environment()  # before Keras is imported: on Spaces, its downloads go to persistent storage

from genart.ui import build_demo, launch_kwargs  # noqa: E402

demo = build_demo()

if __name__ == "__main__":
    if warm_up_wanted():  # weights, data and compiled steps ready before the first visitor (GENART_WARMUP=0: off)
        start_warm_up()
    demo.launch(**launch_kwargs())
