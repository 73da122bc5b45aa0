"""Read a page's form as a browser would send it, for tests that drive real servers
or post back every field of an admin form."""

from html.parser import HTMLParser


class _Form(HTMLParser):
    """The fields of the first POST form in a page's main content (or the form with
    `form_id`), as a browser would send them: forms in the header, such as the
    language switcher, are not the page's."""

    def __init__(self, form_id: str | None = None):
        super().__init__()
        self.form_id = form_id
        self.fields: list[tuple[str, str]] = []
        self._in_form = self._done = False
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None
        self._in_main = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "main":
            self._in_main = True
        if tag == "form" and (a.get("method") or "").lower() == "post":
            if self.form_id is None:
                wanted = self._in_main
            else:
                wanted = a.get("id") == self.form_id
            self._in_form = wanted and not self._done
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            if kind in {"submit", "button", "file", "image"}:
                return
            default = "on" if kind in {"checkbox", "radio"} else ""
            self.fields.append((name, a.get("value") or default))
        elif tag == "select" and name:
            self._select, self._select_first, self._select_chosen = name, None, False
        elif tag == "option" and self._select:
            if self._select_first is None:
                self._select_first = a.get("value") or ""
            if "selected" in a:
                self.fields.append((self._select, a.get("value") or ""))
                self._select_chosen = True
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields.append((name, ""))

    def handle_data(self, data):
        if self._textarea:
            text = self.fields[-1][1] + data
            self.fields[-1] = (self._textarea, text.removeprefix("\n"))

    def handle_endtag(self, tag):
        if tag == "main":
            self._in_main = False
        if tag == "select" and self._select:
            if not self._select_chosen:
                self.fields.append((self._select, self._select_first or ""))
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form" and self._in_form:
            self._in_form, self._done = False, True


def form_fields(html: str, form_id: str | None = None) -> list[tuple[str, str]]:
    parser = _Form(form_id)
    parser.feed(html)
    return parser.fields
