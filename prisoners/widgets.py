"""The public list's form widgets, written in Python as Django's own templates write them.

The list draws its filter form on every request: a dozen checkboxes and five selects, each
option one template include. Through Django's templates that took 6 ms of a 25 ms page. These
widgets write the same HTML for the templates below (tests/prisoners/test_list_widgets.py
compares them with Django's rendering) and leave any other template to Django.
"""

from django import forms
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

WIDGETS = "django/forms/widgets/"


def _attributes(attrs: dict) -> str:
    # attrs.html: False leaves an attribute out, True writes its name alone.
    return "".join(
        f" {name}" if value is True else f' {name}="{conditional_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: dict) -> str:
    value = "" if widget["value"] is None else f' value="{conditional_escape(widget["value"])}"'
    name = conditional_escape(widget["name"])
    return f'<input type="{conditional_escape(widget["type"])}" name="{name}"{value}{_attributes(widget["attrs"])}>'


def _option(widget: dict) -> str:
    """One option of a select, or one checkbox or radio button (input_option.html)."""
    if widget["template_name"] == f"{WIDGETS}select_option.html":
        return format_html(
            '<option value="{}"{}>{}</option>',
            widget["value"],
            mark_safe(_attributes(widget["attrs"])),  # noqa: S308 each value escaped by _attributes
            widget["label"],
        )
    if not widget.get("wrap_label"):
        return _input(widget)
    label_for = f' for="{conditional_escape(widget["attrs"]["id"])}"' if widget["attrs"].get("id") else ""
    return f"<label{label_for}>{_input(widget)} {conditional_escape(widget['label'])}</label>"


def _select(widget: dict) -> str:
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attributes(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        parts += [f"\n  {_option(option)}" for option in options]
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _multiple_input(widget: dict) -> str:
    element_id, css_class = widget["attrs"].get("id"), widget["attrs"].get("class")
    parts = [
        "<div",
        f' id="{conditional_escape(element_id)}"' if element_id else "",
        f' class="{conditional_escape(css_class)}"' if css_class else "",
        ">",
    ]
    for group, options, _index in widget["optgroups"]:
        if group:
            parts.append(f"\n  <div><label>{conditional_escape(group)}</label>")
        parts += [f"<div>\n    {_option(option)}</div>" for option in options]
        if group:
            parts.append("\n  </div>")
    parts.append("\n</div>")
    return "".join(parts)


WRITERS = {
    f"{WIDGETS}input.html": _input,
    f"{WIDGETS}text.html": _input,
    f"{WIDGETS}select.html": _select,
    f"{WIDGETS}select_option.html": _option,
    f"{WIDGETS}checkbox_option.html": _option,
    f"{WIDGETS}checkbox_select.html": _multiple_input,
}


class PlainRendering:
    """A widget mixin: the templates in WRITERS are written in Python, the same HTML, any other through Django."""

    def _render(self, template_name, context, renderer=None):
        writer = WRITERS.get(template_name)
        if writer is None:
            return super()._render(template_name, context, renderer)
        return mark_safe(writer(context["widget"]))  # noqa: S308 every value is escaped by the writers


class Select(PlainRendering, forms.Select):
    pass


class TextInput(PlainRendering, forms.TextInput):
    pass


class CheckboxSelectMultiple(PlainRendering, forms.CheckboxSelectMultiple):
    pass
