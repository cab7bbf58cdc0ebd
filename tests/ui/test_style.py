"""The style transfer tab driven through its API (/stylize) with gradio_client, in-process."""

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

SMALL = dict(steps=3, max_dim=64, optimizer="adam", scales=1)


def test_stylize_streams_frames_plot_then_files(client, style_files):
    content, style = style_files
    job = client.submit(handle_file(content), handle_file(style), **{**SMALL, "steps": 4}, api_name="/stylize")
    job.result(timeout=300)
    outputs = job.outputs()
    assert len(outputs) >= 2
    statuses = [o[1] for o in outputs]
    assert statuses[-1].endswith("done") and "step 4/4" in statuses[-1]
    assert all("style " in s and "content " in s and " tv " in s and "total " in s for s in statuses)
    image, _, plot, png, gif = outputs[-1]
    assert image is not None
    assert plot["columns"] == ["step", "term", "log10 loss"]
    assert {row[1] for row in plot["data"]} == {"style", "content", "tv"}
    assert max(row[0] for row in plot["data"]) == 4
    assert png["path"].endswith(".png") and gif["path"].endswith(".gif")
    assert all(o[3] is None for o in outputs[:-1])


def test_endpoint_takes_content_then_style_and_defaults_the_rest(client):
    params = client.view_api(print_info=False, return_format="dict")["named_endpoints"]["/stylize"]["parameters"]
    assert [p["parameter_name"] for p in params[:2]] == ["content", "style"]
    assert not params[0]["parameter_has_default"] and not params[1]["parameter_has_default"]
    assert all(p["parameter_has_default"] for p in params[2:])


def test_errors_read_well_and_server_keeps_serving(client, tmp_path, style_files):
    content, style = style_files
    fake = tmp_path / "notes.png"
    fake.write_text("a text file renamed to .png")
    with pytest.raises(AppError, match="style image is not an image format"):
        client.predict(handle_file(content), handle_file(str(fake)), **SMALL, api_name="/stylize")
    with pytest.raises(AppError, match="init='image' needs an initial image"):
        client.predict(handle_file(content), handle_file(style), **SMALL, init="image", api_name="/stylize")
    with pytest.raises(AppError, match="maximum value"):
        client.predict(handle_file(content), handle_file(style), **SMALL, second_style=handle_file(style),
                       second_style_share=3, api_name="/stylize")
    result = client.predict(handle_file(content), handle_file(style), **{**SMALL, "steps": 1},
                            second_style=handle_file(style), second_style_share=0.3, preserve_colors=True,
                            api_name="/stylize")
    assert result[1].endswith("done")
