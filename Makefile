# PWS — the two commands: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := run.py

.PHONY: run test lint scan bandit audit worker install translations catalog clean

$(BIN)/activate: requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 não encontrado ($(PYTHON))."; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(BIN)/activate

install: $(BIN)/activate

translations: install
	$(BIN)/python -m babel.messages.frontend compile -d babel/translations --use-fuzzy --statistics >/dev/null

## Refresh the pt-BR catalog from the code (then translate what it lists as missing).
catalog: install
	$(BIN)/python babel/catalog.py

## Migrate, seed roles, load demo data when empty, print the logins, serve on 127.0.0.1:5000.
run: translations
	mkdir -p instance
	$(BIN)/flask pws init
	$(BIN)/flask pws demo --if-empty
	@echo "E-mails: sem REDIS_URL são enviados pelo próprio servidor web; sem MAIL_SERVER ficam em"
	@echo "  instance/storage/mail (Configurações > E-mails enviados). Com Redis: exporte REDIS_URL"
	@echo "  para 'make run' e rode 'make worker' em outro terminal (worker, agendador e varredura)."
	$(BIN)/flask run --host 127.0.0.1 --port 5000

## The whole suite (SQLite by default; TEST_DATABASE_URL=mysql+pymysql://… for MariaDB), on one
## pytest-xdist worker per core (PYTEST_WORKERS=0 runs it in one process).
PYTEST_WORKERS ?= auto
test: translations
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

## Lint: ruff with the rules of pyproject.toml (pycodestyle, pyflakes, pyupgrade, bugbear…).
lint: install
	$(BIN)/ruff check .

## Security scans: bandit over the code (.bandit), pip-audit over every pinned requirement.
scan: bandit audit

bandit: install
	$(BIN)/bandit --ini .bandit --quiet

## pip-audit asks PyPI's JSON API about each pinned release; a release it cannot ask about fails (--strict).
audit: install
	$(BIN)/pip-audit --strict --progress-spinner off -r requirements.txt -r requirements-dev.txt

## The e-mail worker: rq worker, rq's scheduler (retries) and the outbox sweep every minute (needs REDIS_URL).
worker: install
	$(BIN)/flask pws worker

clean:
	rm -rf $(VENV) instance/pws.db tests/artifacts
