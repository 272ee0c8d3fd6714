"""Image uploads: time and peak memory of reencode_image, each case in a fresh process.

    python benchmarks/image_bombs.py

Cases: the 6300 × 6300 PNG bomb of issue 18.1 (116 KB), a 20000 × 20000 PNG bomb, and legal
uploads at the cap (a 6000 × 4000 JPEG phone photo and a 6000 × 4000 PNG). "before" is the
old path (header limit 40 MP, full decode, no size bound, optimized PNG), run on the same file
in the same way for comparison. Prints a Markdown table (docs/security.md quotes it).
"""
import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CASE = textwrap.dedent("""
    import io, json, resource, sys, time
    sys.path.insert(0, {root!r})
    from PIL import Image, ImageOps
    from app import create_app
    from app.core.files import FileRejected, reencode_image
    from tests.images import png_bomb

    def photo(kind):
        out = io.BytesIO()
        image = Image.linear_gradient("L").resize((6000, 4000)).convert("RGB")
        image.save(out, kind)
        return out.getvalue()

    def old_path(data):
        with Image.open(io.BytesIO(data)) as source:
            if source.width * source.height > 40_000_000:
                raise FileRejected("too large")
            source.load()
            image = ImageOps.exif_transpose(source)
        out = io.BytesIO()
        if source.format == "JPEG":
            image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
        else:
            image.save(out, "PNG", optimize=True)

    data = {{"bomb": lambda: png_bomb(), "big bomb": lambda: png_bomb(20000, 20000),
            "JPEG": lambda: photo("JPEG"), "PNG": lambda: photo("PNG")}}[{case!r}]()
    app = create_app({{"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True}})
    Image.MAX_IMAGE_PIXELS = None if {old!r} else Image.MAX_IMAGE_PIXELS
    with app.test_request_context():
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        try:
            old_path(data) if {old!r} else reencode_image(data, formats=("JPEG", "PNG"))
            outcome = "accepted"
        except FileRejected:
            outcome = "refused"
        seconds = time.perf_counter() - started
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    print(json.dumps({{"kb": len(data) // 1024, "outcome": outcome, "s": seconds, "mb": grown / 1024}}))
""")


def run(case: str, old: bool) -> dict:
    script = CASE.format(root=str(ROOT), case=case, old=old)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    print("| upload | size | before: outcome, s, +MB | now: outcome, s, +MB |")
    print("|---|---:|---|---|")
    for case in ("bomb", "big bomb", "JPEG", "PNG"):
        old, new = run(case, True), run(case, False)
        print(f"| {case} | {new['kb']} KB | {old['outcome']}, {old['s']:.2f}, {old['mb']:.0f} "
              f"| {new['outcome']}, {new['s']:.3f}, {new['mb']:.0f} |")


if __name__ == "__main__":
    main()
