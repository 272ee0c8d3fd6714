"""The floors of app/: no import circle between modules, core imports no feature package, and
an import that runs uphill (a lower package importing a higher one) is one of those named in
docs/development.md. Every import counts, also those inside functions."""
import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"
# From the bottom up; a package may import its own floor and those below.
FLOORS = (
    ("core",),
    ("accounts",),
    ("catalog", "feed"),
    ("notifications",),
    ("calls", "billing", "contact"),
    ("supplies", "field"),
    ("deliveries", "indicators"),
    ("sync",),
    ("lgpd", "dashboard"),
    ("demo", "models", "registry", "cli", "__init__"),
)
# The imports allowed to run uphill, each with its reason in docs/development.md.
UPHILL = {
    ("app.accounts.password_reset", "app.notifications.outbox"),
    ("app.accounts.views", "app.notifications.recipients"),
    ("app.supplies.views", "app.deliveries.models"),
}


def _module_name(path: Path) -> str:
    parts = ["app", *path.relative_to(APP).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    modules = {_module_name(path): path for path in APP.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.update(f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in modules
                             else node.module for alias in node.names)
        graph[name] = {target for target in found if target in modules and target != name}
    return graph


def _package(module: str) -> str:
    return module.split(".")[1] if module.count(".") else "__init__"


def _floor(module: str) -> int:
    package = _package(module)
    return next(number for number, packages in enumerate(FLOORS) if package in packages)


def test_every_package_has_a_floor():
    packages = {_package(module) for module in _imports()}
    placed = {package for floor in FLOORS for package in floor}
    assert packages <= placed, f"packages without a floor in FLOORS: {sorted(packages - placed)}"


def test_no_import_circle_between_modules():
    graph = _imports()
    circles, state = [], {}

    def visit(module, trail):
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                circles.append(" -> ".join([*trail[trail.index(target):], target]))
            elif target not in state:
                visit(target, [*trail, target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not circles, "import circles:\n" + "\n".join(circles)


def test_core_imports_no_feature_package():
    wrong = [f"{module} -> {target}" for module, targets in _imports().items() if _package(module) == "core"
             for target in targets if _package(target) != "core"]
    assert not wrong, "\n".join(wrong)


def test_only_the_named_imports_run_uphill():
    uphill = {(module, target) for module, targets in _imports().items() for target in targets
              if _floor(target) > _floor(module)}
    assert uphill == UPHILL, (f"new uphill imports: {sorted(uphill - UPHILL)}; "
                              f"gone (remove them from UPHILL and the docs): {sorted(UPHILL - uphill)}")
    assert len(UPHILL) <= 3


def test_transaction_end_hooks_go_through_on_commit_and_on_rollback():
    """SQLAlchemy's after_commit also fires when a savepoint is released: work hung on it (an
    e-mail handed to the sender, files kept) ran before anything was committed. Every hook on a
    transaction's end goes through app.core.db.on_commit / on_rollback, which skip savepoints."""
    hooks = ('"after_commit"', '"after_rollback"', '"after_soft_rollback"')
    direct = [str(path.relative_to(APP)) for path in APP.rglob("*.py")
              if path.name != "db.py" and any(hook in path.read_text() for hook in hooks)]
    assert direct == []
