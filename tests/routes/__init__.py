"""Route tables per area; see tests/access.py."""
import importlib
import pkgutil


def area_modules():
    return [importlib.import_module(f"{__name__}.{info.name}")
            for info in pkgutil.iter_modules(__path__)]


def all_routes() -> dict:
    table = {}
    for module in area_modules():
        overlap = set(table) & set(module.ROUTES)
        assert not overlap, f"routes declared twice: {overlap}"
        table.update(module.ROUTES)
    return table
