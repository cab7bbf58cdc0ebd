"""genart: DeepDream, neural style transfer and a DCGAN in the browser. Run: python app.py"""

from genart.ui import build_demo, launch_kwargs

demo = build_demo()

if __name__ == "__main__":
    demo.launch(**launch_kwargs())
