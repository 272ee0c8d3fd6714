"""Every PWS table declares how it is scoped; a new model cannot slip past the mechanism."""
from flask_appbuilder import Model

from app import models  # noqa: F401


def test_every_model_declares_its_scope():
    undeclared = [
        mapper.class_.__name__ for mapper in Model.registry.mappers
        if not mapper.class_.__module__.startswith("flask_appbuilder.")
        and getattr(mapper.class_, "__scope__", None) is None
    ]
    assert undeclared == []
