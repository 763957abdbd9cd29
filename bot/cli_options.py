"""Options shared by the `salon` commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DEFAULT_CONFIG = Path("salon.yaml")
ConfigOption = Annotated[
    Path,
    typer.Option("--config", "-c", envvar="SALON_CONFIG", help="The YAML configuration file."),
]
