"""Demo data — replaced by the full generator."""


def load_demo(scale="small", if_empty=False, echo=print):
    echo("demo: nada a carregar ainda")
