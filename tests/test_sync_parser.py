"""The sync API's parser: nesting deeper than 64 levels and text that is not valid Unicode are
refused naming the record and the field; a body over 10 MiB is 413 however it is sent."""
import io
import json

from app.sync.contract import MAX_BYTES
from tests import factories as f
from tests.sync_support import bearer, push, rec


def _token(db_ctx):
    with db_ctx():
        return f.sync_token()[1]


def _post_raw(client, plain, body: bytes, chunked=False):
    headers = {**bearer(plain), "Content-Type": "application/json"}
    if not chunked:
        return client.post("/api/sync/v1/batch", headers=headers, data=body)
    # As gunicorn hands a chunked body over: no Content-Length, the server ends the stream.
    return client.post("/api/sync/v1/batch", headers={**headers, "Transfer-Encoding": "chunked"},
                       input_stream=io.BytesIO(body), environ_overrides={"wsgi.input_terminated": True})


def _nested(depth: int):
    value = "fundo"
    for _ in range(depth):
        value = [value]
    return value


def test_nesting_past_64_levels_is_refused_naming_record_and_field(client, db_ctx):
    plain = _token(db_ctx)
    ok = [rec("company", "1", name="REVENDA")]
    # record 1's "name" nests 70 levels below the body's own three (object, records, record)
    deep = rec("company", "2", name=_nested(70))
    response = push(client, plain, [*ok, deep])
    assert response.status_code == 400, response.get_json()
    body = response.get_json()
    assert "64 níveis" in body["message"]
    assert body["errors"][0]["index"] == 1 and body["errors"][0]["field"] == "data.name"
    assert body["errors"][0]["erp_id"] == "2" and body["errors"][0]["entity"] == "company"

    # 100,000 levels: more than the JSON decoder itself can nest
    raw = ('{"batch_id": "fundo", "records": [{"entity": "company", "op": "upsert", "erp_id": "3", '
           '"data": {"name": ' + "[" * 100_000 + "]" * 100_000 + "}}]}").encode()
    response = _post_raw(client, plain, raw)
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["errors"][0]
    assert (error["index"], error["field"]) == (0, "data.name")

    shallow = rec("equipment_model", "M1", name="BROTHER", manufacturer=_nested(3))
    assert push(client, plain, [shallow]).status_code == 422, "a nested value is the contract's 422"


def test_a_lone_surrogate_is_refused_naming_record_and_field(client, db_ctx):
    plain = _token(db_ctx)
    raw = json.dumps({"batch_id": "unicode", "records": [
        rec("company", "1", name="REVENDA 😀"),
        rec("company", "2", name="REVENDA", city="S\ud800o José")]}).encode()
    assert b"\\ud800" in raw
    response = _post_raw(client, plain, raw)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["errors"][0]
    assert (error["index"], error["entity"], error["erp_id"], error["field"]) == (1, "company", "2", "data.city")
    assert "Unicode" in error["message"]

    key = json.dumps({"batch_id": "chave", "records": [rec("company", "\udfff", name="X")]}).encode()
    response = _post_raw(client, plain, key)
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "erp_id"

    pair = json.dumps({"batch_id": "par", "records": [rec("company", "1", name="REVENDA 😀")]}).encode()
    assert b"\\ud83d\\ude00" in pair
    assert _post_raw(client, plain, pair).status_code == 200, "a surrogate pair is a valid character"

    latin = b'{"batch_id": "bytes", "records": []}' + b"\xff"
    response = _post_raw(client, plain, latin)
    assert response.status_code == 400 and "UTF-8" in response.get_json()["message"]


def test_a_body_over_the_limit_is_413_with_or_without_content_length(client, db_ctx):
    plain = _token(db_ctx)
    padding = "x" * 1000
    records = [rec("company", str(n), name="REVENDA", city=padding) for n in range(MAX_BYTES // 1000 + 10)]
    raw = json.dumps({"batch_id": "grande", "records": records}).encode()
    assert len(raw) > MAX_BYTES
    for chunked in (False, True):
        response = _post_raw(client, plain, raw, chunked=chunked)
        assert response.status_code == 413, (chunked, response.status_code, response.get_json())
        assert response.get_json()["message"]
