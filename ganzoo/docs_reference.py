"""The interface reference of ``docs/plugins.md``, generated from the code.

For the interfaces a plugin implements or is handed (:class:`ganzoo.Objective`,
:class:`ganzoo.Step`, :class:`ganzoo.Run`...): the class docstring, each public attribute
and each public method with its signature and the first paragraph of its docstring. For the small data types a
plugin builds or reads (:class:`ganzoo.DatasetSpec`, :class:`ganzoo.MetricSpec`...): each
field with its type, its default and its description.

Attributes and fields are described in one place, the ``Attributes:`` section of the class
docstring (Google style)::

    Attributes:
        name: what it is, on one line or more
            (continuation lines indented further).
        first, second: one description for two attributes.
        device: the device; rank, world_size: one line may describe several entries.

An attribute or field without a description there, or a description of something the
class does not have, is an error: ``tests/test_docs.py`` checks that the docs hold exactly
what :func:`interfaces_markdown` returns, and rewrites the section when run with
``GANZOO_UPDATE_DOCS=1``.

torch is imported when the reference is rendered, not when this module is imported.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import re
import textwrap
import typing
from typing import Any, Callable

# Dunder methods that are part of an interface: what the engine calls.
PUBLIC_DUNDERS = ("__call__",)
ENTRY = re.compile(r"^    ([A-Za-z_]\w*(?:, *[A-Za-z_]\w*)*): (.*)$")
SUB_ENTRY = re.compile(r";\s+([A-Za-z_]\w*(?:, *[A-Za-z_]\w*)*):\s")
ROLE = re.compile(r":(class|meth|attr|func|mod|data):`(~?)([^`]+)`")


class DocsReferenceError(ValueError):
    """The code's documentation is incomplete or stale (an attribute without a description)."""


def interfaces() -> list[tuple[str, type, tuple[str, ...]]]:
    """``(public name, class, extra methods to document)`` of every interface, in the order
    of the docs: what a plugin implements, then what it is handed."""
    from ganzoo.augmentations import Augmentation
    from ganzoo.conditioning import Conditioning
    from ganzoo.losses import GANLoss
    from ganzoo.objectives import Objective, ObjectiveSetup
    from ganzoo.regularizers import Regularizer
    from ganzoo.step import Step
    from ganzoo.training.run import Run

    return [
        ("ganzoo.Objective", Objective, ()),
        ("ganzoo.Regularizer", Regularizer, ()),
        ("ganzoo.Augmentation", Augmentation, ()),
        ("ganzoo.GANLoss", GANLoss, ()),
        ("ganzoo.Conditioning", Conditioning, ("__init__",)),
        ("ganzoo.Step", Step, ()),
        ("ganzoo.ObjectiveSetup", ObjectiveSetup, ()),
        ("ganzoo.Run", Run, ()),
    ]


def field_classes() -> list[tuple[str, type]]:
    """``(public name, class)`` of every data type whose fields the docs list."""
    from ganzoo.data.spec import DatasetSpec
    from ganzoo.evaluation.interface import FeatureExtractorSpec
    from ganzoo.models import ArchitectureSpec
    from ganzoo.options import Option
    from ganzoo.recipes import ModelRecipe
    from ganzoo.step import DiscriminatorOutput, Generated, MetricSpec, StepOutput

    return [
        ("ganzoo.StepOutput", StepOutput),
        ("ganzoo.DiscriminatorOutput", DiscriminatorOutput),
        ("ganzoo.Generated", Generated),
        ("ganzoo.MetricSpec", MetricSpec),
        ("ganzoo.Option", Option),
        ("ganzoo.ModelRecipe", ModelRecipe),
        ("ganzoo.DatasetSpec", DatasetSpec),
        ("ganzoo.ArchitectureSpec", ArchitectureSpec),
        ("ganzoo.evaluation.extractors.FeatureExtractorSpec", FeatureExtractorSpec),
    ]


# --- docstrings ------------------------------------------------------------------------


def split_attributes(cls: type, known: set[str] | None = None) -> tuple[str, list[tuple[list[str], str]]]:
    """A class docstring as its prose (without the ``Attributes:`` section) and the entries
    of that section, ``([names], one-line description)`` in order. Where ``known`` is
    given, an entry may go on with ``; other: description`` for other attributes of ``known``."""
    lines = inspect.cleandoc(cls.__doc__ or "").splitlines()
    if "Attributes:" not in lines:
        return "\n".join(lines), []
    start = lines.index("Attributes:")
    end = start + 1
    entries: list[tuple[list[str], list[str]]] = []
    while end < len(lines) and lines[end].startswith("    "):
        match = ENTRY.match(lines[end])
        if match:
            entries.append(([n.strip() for n in match.group(1).split(",")], [match.group(2)]))
        elif entries and lines[end].startswith("        "):
            entries[-1][1].append(lines[end].strip())
        else:
            raise DocsReferenceError(f"{cls.__qualname__}: cannot read this line of its Attributes: {lines[end]!r}")
        end += 1
    groups = [group for names, text in entries for group in _sub_entries(names, " ".join(text), known)]
    prose = "\n".join(lines[:start] + lines[end:]).strip()
    return prose, groups


def _sub_entries(names: list[str], text: str, known: set[str] | None) -> list[tuple[list[str], str]]:
    """``"a: x; b, c: y"`` as ``[([a], x), ([b, c], y)]`` where ``b`` and ``c`` are ``known``."""
    if known is None:
        return [(names, text)]
    for match in SUB_ENTRY.finditer(text):
        others = [n.strip() for n in match.group(1).split(",")]
        if all(n in known for n in others):
            head = text[: match.start()].rstrip() + "."
            return [(names, head)] + _sub_entries(others, text[match.end():], known)
    return [(names, text)]


def first_paragraph(doc: str | None) -> str:
    return inspect.cleandoc(doc or "").split("\n\n")[0].strip()


def markdown_text(text: str) -> str:
    """reST roles (``:class:`ganzoo.Step```) as markdown code."""

    def code(match: re.Match) -> str:
        role, short, target = match.groups()
        name = target.rpartition(".")[2] if short else target  # Sphinx's ~: the last part only
        return f"`{name}()`" if role in ("meth", "func") else f"`{name}`"

    return ROLE.sub(code, text)


def one_line(text: str) -> str:
    return markdown_text(" ".join(text.split()))


# --- signatures and types --------------------------------------------------------------


class _Text:
    """An annotation shown as written in the source (``int | None``), not as repr'd."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def annotation_text(annotation: Any) -> str:
    """An annotation as written in the source."""
    if isinstance(annotation, str):
        return annotation
    if isinstance(annotation, typing.ForwardRef):  # a NamedTuple's, under postponed evaluation
        return annotation.__forward_arg__
    if isinstance(annotation, type):
        return annotation.__qualname__ if annotation.__module__ == "builtins" else f"{annotation.__module__}.{annotation.__qualname__}"
    return inspect.formatannotation(annotation)


def signature(function: Callable[..., Any], name: str) -> str:
    """``name(a: int, *, b: str = 'x') -> None``, without ``self``, annotations as written."""
    sig = inspect.signature(function)
    parameters = list(sig.parameters.values())
    if parameters and parameters[0].name == "self":
        parameters = parameters[1:]

    def text(annotation: Any) -> Any:
        return annotation if annotation is inspect.Parameter.empty else _Text(annotation_text(annotation))

    sig = sig.replace(
        parameters=[p.replace(annotation=text(p.annotation)) for p in parameters],
        return_annotation=text(sig.return_annotation),
    )
    return f"{name}{sig}"


def _class_var(annotation: Any) -> str:
    text = annotation_text(annotation)
    match = re.fullmatch(r"(?:typing\.)?ClassVar\[(.*)\]", text)
    return match.group(1) if match else text


# --- what a class has ------------------------------------------------------------------


@dataclasses.dataclass
class Member:
    name: str
    type: str | None = None
    default: str | None = None  # repr of the default, if it has one
    required: bool = False  # a field without a default
    aliases: list[str] = dataclasses.field(default_factory=list)


def fields_of(cls: type) -> list[Member]:
    """The fields of a dataclass or a NamedTuple: name, type as written, default."""
    if dataclasses.is_dataclass(cls):
        members = []
        for f in dataclasses.fields(cls):
            if f.default is not dataclasses.MISSING:
                default = repr(f.default)
            elif f.default_factory is not dataclasses.MISSING:
                default = repr(f.default_factory())
            else:
                default = None
            members.append(Member(f.name, annotation_text(f.type), default, required=default is None))
        return members
    if issubclass(cls, tuple) and hasattr(cls, "_fields"):
        annotations = cls.__annotations__
        defaults = cls._field_defaults
        return [Member(n, annotation_text(annotations[n]), repr(defaults[n]) if n in defaults else None,
                       required=n not in defaults) for n in cls._fields]
    raise TypeError(f"{cls!r} is neither a dataclass nor a NamedTuple")


def _instance_attributes(cls: type) -> list[str]:
    """Public attributes that ``__init__`` sets on ``self`` (read from its source)."""
    init = vars(cls).get("__init__")
    if init is None or not inspect.isfunction(init) or dataclasses.is_dataclass(cls):
        return []  # a dataclass's generated __init__ sets its fields
    tree = ast.parse(textwrap.dedent(inspect.getsource(init)))
    names: list[str] = []
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        for target in targets:
            if (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self"
                    and not target.attr.startswith("_") and target.attr not in names):
                names.append(target.attr)
    return names


def attributes_of(cls: type) -> list[Member]:
    """Public attributes the class itself declares: annotated class attributes (and
    dataclass fields), properties (aliases folded into the first name), and what
    ``__init__`` sets on ``self``."""
    own = vars(cls)
    members: dict[str, Member] = {}
    if dataclasses.is_dataclass(cls):
        for member in fields_of(cls):
            members[member.name] = member
    for name, annotation in own.get("__annotations__", {}).items():
        if name.startswith("_") or name in members:
            continue
        members[name] = Member(name, _class_var(annotation), repr(own[name]) if name in own else None)
    seen: dict[int, Member] = {}
    for name, value in own.items():
        if name.startswith("_") or not isinstance(value, property) or name in members:
            continue
        if id(value) in seen:
            seen[id(value)].aliases.append(name)
            continue
        members[name] = seen[id(value)] = Member(name)
    for name in _instance_attributes(cls):
        members.setdefault(name, Member(name))
    return list(members.values())


def methods_of(cls: type, extra: tuple[str, ...] = ()) -> list[tuple[str, Callable[..., Any]]]:
    """Public methods the class itself defines, in source order."""
    found = []
    for name, value in vars(cls).items():
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if not inspect.isfunction(value):
            continue
        if name.startswith("_") and name not in PUBLIC_DUNDERS + extra:
            continue
        found.append((name, value))
    return found


# --- markdown --------------------------------------------------------------------------


# --- markdown --------------------------------------------------------------------------


def _described(cls: type, members: list[Member]) -> tuple[str, list[tuple[list[str], str]]]:
    """The class's prose and its Attributes entries, checked against ``members``: each
    member described once, nothing else described, aliases named in their member's
    description; or :class:`DocsReferenceError`."""
    where = f"{cls.__module__}.{cls.__qualname__}"
    names = {m.name for m in members}
    prose, groups = split_attributes(cls, known=names)
    described = [name for group, _ in groups for name in group]
    missing = [m.name for m in members if m.name not in described]
    stale = sorted({name for name in described if name not in names})
    twice = sorted({name for name in described if described.count(name) > 1})
    if missing:
        raise DocsReferenceError(f"{where}: describe {', '.join(missing)} in the Attributes section of its docstring")
    if stale:
        raise DocsReferenceError(f"{where}: its docstring describes {', '.join(stale)}, which it does not have")
    if twice:
        raise DocsReferenceError(f"{where}: its docstring describes {', '.join(twice)} more than once")
    descriptions = {name: text for group, text in groups for name in group}
    for member in members:
        for alias in member.aliases:
            if f"``{alias}``" not in descriptions[member.name]:
                raise DocsReferenceError(f"{where}: say in {member.name}'s description that ``{alias}`` is the same")
    return prose, groups


def _details(member: Member) -> str:
    """`` (`type`, default `x`)``, `` (`type`, required)``, or nothing when neither is known."""
    details = [f"`{member.type}`"] if member.type is not None else []
    if member.default is not None:
        details.append(f"default `{member.default}`")
    elif member.required:
        details.append("required")
    return f" ({', '.join(details)})" if details else ""


def field_markdown(public_name: str, cls: type) -> str:
    """A data type: its docstring's prose, then one line per field, in the fields' order."""
    members = fields_of(cls)
    prose, groups = _described(cls, members)
    descriptions = {name: text for group, text in groups for name in group}
    lines = [f"### `{public_name}`", "", markdown_text(prose), ""]
    lines += [f"- `{m.name}`{_details(m)}: {one_line(descriptions[m.name])}" for m in members]
    return "\n".join(lines) + "\n"


def interface_markdown(public_name: str, cls: type, extra: tuple[str, ...] = ()) -> str:
    """An interface: its docstring's prose, its attributes in the docstring's order (names
    described together stay together), then its methods in source order."""
    members = attributes_of(cls)
    by_name = {m.name: m for m in members}
    prose, groups = _described(cls, members)
    lines = [f"### `{public_name}`", "", markdown_text(prose), ""]
    if groups:
        lines += ["Attributes:", ""]
        for names, text in groups:
            head = ", ".join(f"`{name}`" for name in names)
            if len(names) == 1:
                head += _details(by_name[names[0]])
            lines.append(f"- {head}: {one_line(text)}")
        lines.append("")
    methods = methods_of(cls, extra)
    if methods:
        lines += ["Methods:", ""]
        for name, function in methods:
            doc = first_paragraph(function.__doc__)
            if not doc:
                raise DocsReferenceError(f"{cls.__module__}.{cls.__qualname__}.{name} has no docstring")
            lines.append(f"- `{signature(function, name)}`: {one_line(doc)}")
        lines.append("")
    return "\n".join(lines)


def interfaces_markdown() -> str:
    """The interface reference of ``docs/plugins.md``: interfaces, then data types."""
    parts = [interface_markdown(name, cls, extra) for name, cls, extra in interfaces()]
    parts += [field_markdown(name, cls) for name, cls in field_classes()]
    return "\n".join(parts).rstrip() + "\n"
