"""Loading flow files: YAML → typed model → whole-flow checks, every problem reported at once."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path as FsPath
from typing import Any

from pydantic import TypeAdapter, ValidationError

from flows.errors import ErrorCode, FlowError, FlowLoadError, Location
from flows.model import Flow, FlowFile, LanguageCode, Question, Rule
from flows.pydantic_errors import translate
from flows.validate import FlowChecker
from flows.yaml_source import Path, YamlDocument, YamlErrors, read_yaml

_LANGUAGES = TypeAdapter(list[LanguageCode])
_PARTS = ("questions", "on_complete")


def load_text(text: str | bytes, file: str = "<flows>") -> list[Flow]:
    """Every flow in one YAML text; raises FlowLoadError listing every problem."""
    flows, errors = _load_document(text, file)
    if errors:
        raise FlowLoadError(errors)
    return flows


def _load_document(text: str | bytes, file: str) -> tuple[list[Flow], list[FlowError]]:
    try:
        doc = read_yaml(text, file)
    except YamlErrors as exc:
        return [], exc.errors
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("flows"), list):
        return [], [FlowError(ErrorCode.NOT_A_MAPPING, doc.locate(("flows",)),
                              "the file has no `flows:` list",
                              "a mapping with `flows:` (a list of flows) and optional "
                              "`languages:`")]
    errors: list[FlowError] = []
    unknown = [k for k in data if k not in FlowFile.model_fields]
    for key in unknown:
        errors.append(FlowError(ErrorCode.UNKNOWN_KEY, doc.locate_key((key,)),
                                f"unknown key `{key}`",
                                "one of languages, flows"))
    languages = ["zh", "en"]
    if "languages" in data:
        try:
            languages = _LANGUAGES.validate_python(data["languages"]) or languages
        except ValidationError as exc:
            errors += translate(exc, doc, ("languages",), FlowFile)
    flows: list[Flow] = []
    for index, raw in enumerate(data["flows"]):
        flow, flow_errors = _load_flow(raw, doc, ("flows", index), languages)
        errors += flow_errors
        if flow is not None:
            flows.append(flow)
    return flows, errors


def _load_flow(
    raw: Any, doc: YamlDocument, base: Path, languages: list[str]
) -> tuple[Flow | None, list[FlowError]]:
    if not isinstance(raw, dict):
        return None, [FlowError(ErrorCode.WRONG_TYPE, doc.locate(base), "a flow must be a mapping",
                                "a mapping with id, title, audience, version, questions")]
    errors: list[FlowError] = []
    header = {k: v for k, v in raw.items() if k not in _PARTS}
    try:
        Flow.model_validate({**header, "questions": [], "on_complete": []})
    except ValidationError as exc:
        errors += translate(exc, doc, base, Flow)
    kept: dict[str, list[int]] = {}
    for part, model in (("questions", Question), ("on_complete", Rule)):
        items = raw.get(part, [])
        kept[part] = []
        if not isinstance(items, list):
            errors.append(FlowError(ErrorCode.WRONG_TYPE, doc.locate((*base, part)),
                                    f"`{part}` must be a list", f"a list of {part}"))
            continue
        for i, item in enumerate(items):
            try:
                model.model_validate(item)
                kept[part].append(i)
            except ValidationError as exc:
                errors += translate(exc, doc, (*base, part, i), model)
    if "questions" not in raw:
        errors.append(FlowError(ErrorCode.MISSING_KEY, doc.locate(base), "`questions` is missing",
                                "a list of questions"))
    try:
        flow = Flow.model_validate({**header, **{p: [raw[p][i] for i in kept[p]] for p in _PARTS
                                                 if p in raw and isinstance(raw[p], list)}})
    except ValidationError:
        return None, errors  # the header itself is broken: its errors are already listed
    flow._languages = tuple(languages)
    broken = {str(q.get("id")) for i, q in enumerate(raw.get("questions") or [])
              if i not in kept["questions"] and isinstance(q, dict)}
    checker = FlowChecker(flow, doc, base, languages, kept["questions"], kept["on_complete"],
                          broken)
    errors += checker.run()
    flow._warnings = tuple(checker.warnings)
    return (None if errors else flow), errors


def load_paths(paths: Iterable[str | FsPath]) -> dict[str, Flow]:
    """Flows from files and directories (every `*.yaml`/`*.yml` inside), keyed by flow id."""
    errors: list[FlowError] = []
    flows: dict[str, Flow] = {}
    origin: dict[str, Location] = {}
    for file in _expand(paths):
        try:
            content = file.read_bytes()
        except OSError as exc:
            errors.append(FlowError(ErrorCode.FILE_UNREADABLE, Location(str(file), 1, 1),
                                    f"cannot read the file ({exc.strerror})", "a readable file"))
            continue
        found, file_errors = _load_document(content, str(file))
        errors += file_errors
        for flow in found:
            where = Location(str(file), 1, 1)
            if flow.id in flows:
                errors.append(FlowError(ErrorCode.DUPLICATE_ID, where,
                                        f"flow id `{flow.id}` is already defined at "
                                        f"{origin[flow.id]}", "a unique id for every flow"))
                continue
            flows[flow.id], origin[flow.id] = flow, where
    if errors:
        raise FlowLoadError(errors)
    return flows


def _expand(paths: Iterable[str | FsPath]) -> list[FsPath]:
    files: list[FsPath] = []
    for entry in map(FsPath, paths):
        if entry.is_dir():
            files += sorted(p for p in entry.iterdir() if p.suffix in (".yaml", ".yml"))
        else:
            files.append(entry)
    return files


def default_flow_dir() -> FsPath:
    return FsPath(__file__).parent
