"""The README's configuration reference names every section and every key the config has."""

from __future__ import annotations

import re
import typing
from pathlib import Path

from pydantic import BaseModel

from pmanalytics.config import Config, SurveyMapping

README = Path(__file__).resolve().parents[1] / "README.md"


def _reference() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Configuration (`pmanalytics.toml`)", 1)[1]
    (block,) = re.findall(r"```toml\n(.*?)```", section.split("\n## ", 1)[0], re.DOTALL)
    return block


def _sections() -> dict[str, type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {"sources.mapping": SurveyMapping}
    for name, field in Config.model_fields.items():
        annotation = field.annotation
        model = (typing.get_args(annotation) or (annotation,))[0]
        if isinstance(model, type) and issubclass(model, BaseModel):
            found[name] = model
    return found


def test_every_section_and_key_is_in_the_readme() -> None:
    block = _reference()
    headers = set(re.findall(r"^\[\[?([a-z_.]+)\]\]?", block, re.MULTILINE))
    missing = []
    for section, model in _sections().items():
        if section not in headers:
            missing.append(f"[{section}]")
            continue
        start = re.search(rf"^\[\[?{re.escape(section)}\]\]?(?=\s|$)", block, re.MULTILINE)
        assert start is not None
        body = block[start.end() :].split("\n[", 1)[0]
        keys = set(re.findall(r"^([a-z_]+) =", body, re.MULTILINE))
        keys |= {h.split(".", 1)[1] for h in headers if h.startswith(f"{section}.")}
        missing += [f"{section}.{key}" for key in model.model_fields if key not in keys]
    assert not missing, f"README config reference lacks {missing}"
    assert {"pain_points", "lake", "spark"} <= headers
