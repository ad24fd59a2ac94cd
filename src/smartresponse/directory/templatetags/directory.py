from django import template

register = template.Library()


@register.filter
def plain(number: float | int | None) -> str:
    """A count without a needless decimal: 3.0 -> "3", 2.5 -> "2.5"."""
    if number is None:
        return ""
    value = float(number)
    return str(int(value)) if value.is_integer() else str(value)


@register.filter
def web_url(value: object) -> str:
    """An http(s) address from an imported file, or "": never a javascript: or data: link."""
    text = str(value or "").strip()
    return text if text.lower().startswith(("http://", "https://")) else ""
