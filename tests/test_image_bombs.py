"""Decompression bombs (issue 18.1): every image upload is refused from its header above
PWS_IMAGE_MAX_PIXELS, before a pixel is decoded; legal images decode at a bounded size."""
import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from app.calls.models import ServiceCall
from app.core.files import DEFAULT_MAX_SIDE, ImageTooLarge, reencode_image
from tests.calls_desk import CLIENT, as_user, make_desk, post
from tests.field_support import API, build_field, jwt_headers, start, uid
from tests.images import gif_bomb, jpeg_bomb, png_bomb

ROOT = Path(__file__).resolve().parent.parent


def test_a_client_cannot_attach_a_bomb_to_a_call(app, db_ctx):
    with db_ctx():
        desk = make_desk()
    client = as_user(app, desk.users[CLIENT])
    for bomb, name in ((png_bomb(), "bomba.png"), (jpeg_bomb(), "bomba.jpg"), (gif_bomb(), "bomba.gif")):
        response = post(client, f"/chamados/abrir/?equipamento={desk.equipment}",
                        {"defect_type": desk.defect, "description": "Não liga", "contact_name": "Ana",
                         "attachments": [(io.BytesIO(bomb), name)]}, content_type="multipart/form-data")
        assert response.status_code == 200, name
        assert f"A imagem {name} foi recusada: imagem com mais de 24 megapixels." in response.get_data(as_text=True)
    with db_ctx() as session:
        assert session.execute(select(ServiceCall)).first() is None


def test_a_technician_cannot_send_a_bomb_as_a_photo(app, client, db_ctx):
    with db_ctx():
        field = build_field()
    tech = jwt_headers(client, field.tech_email)
    attendance = start(client, tech, field.call)["id"]
    response = client.post(f"{API}/atendimentos/{attendance}/fotos", headers=tech,
                           data={"uid": uid(), "file": (io.BytesIO(png_bomb()), "foto.png")})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["message"] == \
        "A imagem foi recusada: imagem com mais de 24 megapixels."


def test_the_cap_is_configurable_and_legal_images_shrink_to_a_bounded_side(app):
    wide = io.BytesIO()
    Image.new("RGB", (5000, 100), (10, 200, 10)).save(wide, "PNG")
    with app.test_request_context():
        data, kind = reencode_image(wide.getvalue())
        assert kind == "PNG" and Image.open(io.BytesIO(data)).size == (DEFAULT_MAX_SIDE, 60)
        app.config["PWS_IMAGE_MAX_PIXELS"] = 400_000
        with pytest.raises(ImageTooLarge, match="mais de 0,4 megapixels"):
            reencode_image(wide.getvalue())


MEASURE = textwrap.dedent("""
    import io, json, resource, sys
    sys.path.insert(0, {root!r})
    from app import create_app
    from app.core.files import FileRejected, ImageTooLarge, reencode_image
    from tests.images import gif_bomb, jpeg_bomb, png_bomb

    bombs = [png_bomb(), png_bomb(20000, 20000), jpeg_bomb(), gif_bomb()]
    app = create_app({{"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True}})
    refused = []
    with app.test_request_context():
        try:
            reencode_image(b"not an image")
        except FileRejected:
            pass
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        for bomb in bombs:
            try:
                reencode_image(bomb, formats=("JPEG", "PNG", "GIF"))
            except ImageTooLarge:
                refused.append(True)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({{"refused": len(refused), "bombs": len(bombs), "grown_kb": after - before}}))
""")


def test_refusing_bombs_costs_less_than_50_mb():
    """In a fresh process, so the peak resident memory is this work's own."""
    result = subprocess.run([sys.executable, "-c", MEASURE.format(root=str(ROOT))], cwd=ROOT,
                            capture_output=True, text=True, timeout=120, check=True)
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    assert measured["refused"] == measured["bombs"] == 4
    assert measured["grown_kb"] < 50 * 1024, measured
