"""Page helpers for the browser tests: components are found by their ``elem_id``."""

import time

from tests.helpers import wait_until


def set_number(page, elem_id: str, value) -> None:
    """Type ``value`` in the number box of the slider or number field ``elem_id`` and press Enter."""
    box = page.locator(f"#{elem_id} input[type=number]").first
    box.fill(str(value))
    box.press("Enter")


def upload_picture(page, elem_id: str, path) -> None:
    """Give the image component ``elem_id`` the file at ``path`` and wait until it shows it."""
    page.locator(f"#{elem_id} input[type=file]").set_input_files(str(path))
    page.locator(f"#{elem_id} img").first.wait_for()


def image_src(page, elem_id: str):
    """The ``src`` of the picture the image component ``elem_id`` shows; None while it shows none."""
    img = page.locator(f"#{elem_id} img")
    return img.first.get_attribute("src") if img.count() else None


def pictures_seen(page, elem_id: str, n: int, seconds: float = 120) -> list[str]:
    """The pictures (``src``) the image component ``elem_id`` shows one after another, watched until
    ``n`` have been seen or ``seconds`` have passed."""
    seen = []
    deadline = time.time() + seconds
    while len(seen) < n and time.time() < deadline:
        src = image_src(page, elem_id)
        if src and (not seen or src != seen[-1]):
            seen.append(src)
        time.sleep(0.2)
    return seen


def wait_status(page, elem_id: str, expect, timeout: float = 120.0) -> str:
    """The text of the status box ``elem_id`` once it contains ``expect`` (a string) or ``expect(text)``
    holds (a function); an AssertionError with the last text after ``timeout`` seconds."""
    status = page.locator(f"#{elem_id} textarea")
    holds = expect if callable(expect) else (lambda text: expect in text)
    deadline = time.time() + timeout
    while time.time() < deadline:
        text = status.input_value()
        if holds(text):
            return text
        time.sleep(0.2)
    raise AssertionError(f"#{elem_id} never showed {expect!r}; last: {status.input_value()!r}")


def wait_for(predicate, timeout: float, message: str = "condition never met") -> None:
    """Wait until ``predicate()`` holds; an AssertionError saying ``message`` after ``timeout`` seconds."""
    if not wait_until(predicate, timeout, interval=0.2):
        raise AssertionError(message)


def settled_box(locator, still: float = 1.0, timeout: float = 60.0) -> dict:
    """``locator``'s bounding box (viewport coordinates) once it is in view and has not moved for
    ``still`` seconds: on a busy machine the page's layout keeps shifting after a picture arrives, and
    a stroke drawn at an old box lands elsewhere."""
    locator.scroll_into_view_if_needed()
    box, since = locator.bounding_box(), time.time()
    deadline = time.time() + timeout
    while time.time() < deadline:
        time.sleep(0.2)
        now = locator.bounding_box()
        if now != box:
            box, since = now, time.time()
        elif time.time() - since >= still:
            return box
    raise AssertionError(f"the element kept moving for {timeout:.0f} s; last box {box}")


def set_file(page, elem_id: str, path, timeout: float = 180.0) -> None:
    """Give the file component ``elem_id`` the file at ``path`` and wait until it shows the file's name.
    A file set while the component is still mounting was seen lost (a fresh clone's CI virtualenv):
    it is set again while the component still offers its file input, never after it shows a file."""
    box = page.locator(f"#{elem_id}")
    box.wait_for(state="visible")
    chooser = box.locator("input[type=file]")
    deadline, last_set = time.time() + timeout, None
    while time.time() < deadline:
        if path.name in "".join(box.inner_text().split()):  # the name is shown in parts ("dots", ".zip")
            return
        if chooser.count() and (last_set is None or time.time() - last_set > 30):
            chooser.set_input_files(str(path))
            last_set = time.time()
        time.sleep(0.3)
    raise AssertionError(f"#{elem_id} never showed {path.name} in {timeout:.0f} s; it shows {box.inner_text()!r}")
