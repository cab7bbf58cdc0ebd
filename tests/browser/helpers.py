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
