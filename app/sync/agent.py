"""Reference synchronizer: pushes JSON-lines export files, pulls the portal's changes.

Self-contained (Python 3.11 standard library + click) so it can be copied to the ERP server
and run as ``python agent.py …``; where the portal is installed it is also
``flask pws sync-agent …``. See docs/sync.md ("Reference agent").

* push: every ``*.jsonl`` file of ``--push-dir`` (one record of api.md §1 per line), in name
  order, in batches; a pushed file moves to ``enviados/``, a refused one to ``rejeitados/``
  with ``<arquivo>.erros.json``. Progress is kept in ``.pws-sync-agent.json`` and batch_ids are
  stable, so after a crash the agent resumes where it stopped and a batch the portal had
  already applied is answered from the portal's memory, never applied twice.
* pull: the portal's changes go to ``--pull-dir`` as ``alteracoes-<primeiro seq>.jsonl``
  (one change per line, written atomically), then the cursor is acknowledged; a restart
  continues from the acknowledged cursor and rewrites the same file names. Consumers process
  changes idempotently by ``seq``.
"""
import hashlib
import json
import os
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import click

API = "/api/sync/v1"
AGENT = "pws-sync-agent"
VERSION = "1.0"
STATE_FILE = ".pws-sync-agent.json"
DONE_DIR, REJECTED_DIR = "enviados", "rejeitados"
MAX_BATCH_RECORDS = 5000
MAX_BATCH_BYTES = 9 * 1024 * 1024  # the portal accepts 10 MiB; room for the envelope
RETRY_STATUSES = (502, 503, 504)


class AgentError(click.ClickException):
    """Stops the run with a message for the operator (exit code 1)."""


class Portal:
    """The sync API over HTTP, retrying what a retry can fix (network, 502/503/504)."""

    def __init__(self, url: str, token: str, timeout: float, retries: int):
        if not url.startswith(("http://", "https://")):
            raise click.BadParameter("use um endereço http:// ou https://", param_hint="--url")
        self.base = url.rstrip("/") + API
        self.token, self.timeout, self.retries = token, timeout, retries

    def call(self, method: str, path: str, body=None) -> tuple[int, dict, dict]:
        data = json.dumps(body).encode() if body is not None else None
        for attempt in range(self.retries + 1):
            request = urllib.request.Request(self.base + path, data=data, method=method, headers={
                "Authorization": f"Bearer {self.token}", "Content-Type": "application/json",
                "Accept": "application/json", "User-Agent": f"{AGENT}/{VERSION}"})
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # nosec B310  # http(s) only
                    return response.status, _json(response.read()), dict(response.headers)
            except urllib.error.HTTPError as error:
                status, payload = error.code, _json(error.read())
                if status not in RETRY_STATUSES or attempt == self.retries:
                    if status == 401:
                        raise AgentError("O portal recusou o token (inválido ou revogado).") from None
                    return status, payload, dict(error.headers)
            except (urllib.error.URLError, OSError) as error:
                if attempt == self.retries:
                    raise AgentError(f"Portal inacessível em {self.base}: {error}") from None
            time.sleep(min(2 ** attempt, 30))
        raise AssertionError("unreachable")


def _json(raw: bytes) -> dict:
    try:
        return json.loads(raw or b"{}")
    except ValueError:
        return {"message": raw[:200].decode("utf-8", "replace")}


def _write_atomically(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".parcial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


# --- push ------------------------------------------------------------------------------------

class PushState:
    """Per-file progress: its content hash, the run id its batch_ids derive from, batches done."""

    def __init__(self, folder: Path):
        self.path = folder / STATE_FILE
        self.files = json.loads(self.path.read_text()) if self.path.exists() else {}

    def save(self) -> None:
        _write_atomically(self.path, json.dumps(self.files, indent=1))

    def progress(self, name: str, digest: str, batch_size: int) -> dict:
        current = self.files.get(name)
        if current is None or current["sha256"] != digest:
            current = self.files[name] = {"sha256": digest, "run": uuid.uuid4().hex, "done": 0,
                                          "batch_size": batch_size}
            self.save()
        return current

    def forget(self, name: str) -> None:
        self.files.pop(name, None)
        self.save()


def read_records(path: Path) -> tuple[list[tuple[int, dict]], list[dict]]:
    """(line number, record) of every non-blank line, and the lines that are not JSON objects."""
    records, problems = [], []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as error:
                problems.append({"line": number, "message": f"JSON inválido: {error}"})
                continue
            if not isinstance(record, dict):
                problems.append({"line": number, "message": "a linha deve ser um objeto JSON"})
                continue
            records.append((number, record))
    return records, problems


def chunks(records: list, batch_size: int) -> list[list]:
    batches, current, size = [], [], 0
    for item in records:
        weight = len(json.dumps(item[1], ensure_ascii=False).encode()) + 1
        if current and (len(current) >= batch_size or size + weight > MAX_BATCH_BYTES):
            batches.append(current)
            current, size = [], 0
        current.append(item)
        size += weight
    if current:
        batches.append(current)
    return batches


def push_folder(portal: Portal, folder: Path, batch_size: int) -> int:
    """Push every file; returns how many were refused."""
    state = PushState(folder)
    refused = 0
    for path in sorted(p for p in folder.iterdir() if p.is_file() and p.suffix == ".jsonl"):
        if not push_file(portal, path, state, batch_size):
            refused += 1
    return refused


def push_file(portal: Portal, path: Path, state: PushState, batch_size: int) -> bool:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    records, problems = read_records(path)
    if problems:
        return _refuse(path, state, problems)
    progress = state.progress(path.name, digest, batch_size)
    batches = chunks(records, progress["batch_size"])
    with click.progressbar(length=len(records), label=f"Enviando {path.name}") as bar:
        bar.update(sum(len(b) for b in batches[:progress["done"]]))
        for number in range(progress["done"], len(batches)):
            batch = batches[number]
            batch_id = f"{progress['run']}-{number:05d}"
            status, body, headers = portal.call("POST", "/batch", {"batch_id": batch_id,
                                                                   "records": [r for _n, r in batch]})
            if status == 422:
                lines = [line for line, _record in batch]
                return _refuse(path, state, [
                    {**error, "line": lines[error["index"]] if error.get("index") is not None else None}
                    for error in body.get("errors", [])] or [{"line": None, "message": body.get("message")}])
            if status != 200:
                raise AgentError(f"{path.name}, lote {number + 1}: HTTP {status} — {body.get('message')}")
            progress["done"] = number + 1
            state.save()
            bar.update(len(batch))
            if headers.get("Idempotent-Replayed") == "true":
                click.echo(f" (lote {number + 1} já havia sido aplicado pelo portal)")
    _move(path, DONE_DIR)
    state.forget(path.name)
    return True


def _refuse(path: Path, state: PushState, problems: list[dict]) -> bool:
    target = _move(path, REJECTED_DIR)
    _write_atomically(target.with_name(target.name + ".erros.json"),
                      json.dumps(problems, ensure_ascii=False, indent=1))
    state.forget(path.name)
    click.echo(f"{path.name} recusado: {len(problems)} erro(s), veja {REJECTED_DIR}/{target.name}.erros.json",
               err=True)
    return False


def _move(path: Path, folder: str) -> Path:
    target_dir = path.parent / folder
    target_dir.mkdir(exist_ok=True)
    target = target_dir / path.name
    os.replace(path, target)
    return target


# --- pull ------------------------------------------------------------------------------------

def pull_folder(portal: Portal, folder: Path, page_size: int, pending: int) -> int:
    """Write every change not yet acknowledged; returns how many were written."""
    folder.mkdir(parents=True, exist_ok=True)
    written, query = 0, f"?limit={page_size}"  # no cursor: the portal resumes from the last ack
    with click.progressbar(length=max(pending, 1), label="Recebendo alterações") as bar:
        while True:
            status, body, _headers = portal.call("GET", "/changes" + query)
            if status != 200:
                raise AgentError(f"Leitura das alterações: HTTP {status} — {body.get('message')}")
            changes = body["changes"]
            if changes:
                lines = "".join(json.dumps(change, ensure_ascii=False) + "\n" for change in changes)
                _write_atomically(folder / f"alteracoes-{changes[0]['seq']:012d}.jsonl", lines)
                status, ack, _headers = portal.call("POST", "/changes/ack", {"cursor": body["next_cursor"]})
                if status != 200:
                    raise AgentError(f"Confirmação do cursor: HTTP {status} — {ack.get('message')}")
                written += len(changes)
                bar.update(len(changes))
            if not body["has_more"]:
                return written
            query = f"?after={body['next_cursor']}&limit={page_size}"


# --- command ---------------------------------------------------------------------------------

@click.command("sync-agent")
@click.option("--url", required=True, envvar="PWS_SYNC_URL", help="Endereço do portal (PWS_SYNC_URL).")
@click.option("--token", required=True, envvar="PWS_SYNC_TOKEN",
              help="Token do sincronizador (prefira a variável PWS_SYNC_TOKEN).")
@click.option("--push-dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Pasta com os arquivos .jsonl exportados pelo ERP.")
@click.option("--pull-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Pasta onde gravar as alterações feitas no portal.")
@click.option("--batch-size", type=click.IntRange(1, MAX_BATCH_RECORDS), default=1000, show_default=True)
@click.option("--page-size", type=click.IntRange(1, 1000), default=500, show_default=True)
@click.option("--interval", type=click.IntRange(min=0), default=0, show_default=True,
              help="Segundos entre ciclos; 0 executa um ciclo e termina.")
@click.option("--timeout", type=float, default=60, show_default=True)
@click.option("--retries", type=click.IntRange(min=0), default=5, show_default=True)
def main(url, token, push_dir, pull_dir, batch_size, page_size, interval, timeout, retries):
    """Synchronize files with the portal: push exports, pull changes, send a heartbeat."""
    if push_dir is None and pull_dir is None:
        raise click.UsageError("Informe --push-dir, --pull-dir ou os dois.")
    portal = Portal(url, token, timeout, retries)
    while True:
        refused = cycle(portal, push_dir, pull_dir, batch_size, page_size)
        if not interval:
            if refused:
                raise AgentError(f"{refused} arquivo(s) recusado(s).")
            return
        time.sleep(interval)


def cycle(portal: Portal, push_dir, pull_dir, batch_size: int, page_size: int) -> int:
    beat = _heartbeat(portal)
    refused = push_folder(portal, push_dir, batch_size) if push_dir else 0
    if pull_dir:
        written = pull_folder(portal, pull_dir, page_size, beat.get("pending", 0))
        click.echo(f"{written} alteração(ões) gravada(s) em {pull_dir}.")
    _heartbeat(portal)
    return refused


def _heartbeat(portal: Portal) -> dict:
    status, body, _headers = portal.call("POST", "/heartbeat", {"agent": AGENT, "version": VERSION})
    if status != 200:
        raise AgentError(f"Heartbeat: HTTP {status} — {body.get('message')}")
    return body


if __name__ == "__main__":
    main()
