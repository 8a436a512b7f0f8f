"""Communications: the seed's messages filled from the incident — status update #N, the
rollback announcement, the status page's posts, the stakeholder notification — edited, then
copied (y), marked sent (m) or sent to a webhook (w), each journaled; and when the next status
update is due."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Input, Label, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option

from screens.base import NARROW, AppScreen, context_info
from tui.domain.comms import STATUS_UPDATE, TEMPLATES, Draft, literal, next_update_number
from tui.domain.comms import template as template_info
from tui.domain.comms_cadence import Cadence, cadence, epoch, spoken_duration
from tui.session.core import SessionError
from widgets.context_bar import ContextBar
from widgets.text import inert
from widgets.timefmt import clock_text

if TYPE_CHECKING:
    from tui.domain.incident import IncidentState
    from tui.domain.webhooks import WebhookSetting
    from tui.session.session import IncidentSession

SENT_SHOWN = 6  # messages listed under the templates, newest last


def cadence_line(clock: Cadence, now: float) -> Text:
    """`Status update #3 due in 3:12 · every 15 minutes from status update #2 (04:20 UTC)`."""
    text = Text()
    left = clock.left(now)
    if left is None:
        return Text("No status update due: the incident is closed", style="dim")
    text.append(f"Status update #{clock.number} ")
    if left < 0:
        text.append(f"OVERDUE {clock_text(-left)}", style="bold reverse")
    else:
        text.append(f"due in {clock_text(left)}", style="bold" if left < 60 else "")
    since = f" at {_hhmm(clock.since)}" if clock.since is not None else ""
    text.append(f" · every {spoken_duration(clock.every)} from {clock.since_what}{since}",
                style="dim")
    return text


def _hhmm(moment: float | None) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(moment or 0.0, UTC).strftime("%H:%M UTC")


def sent_lines(state: IncidentState, limit: int = SENT_SHOWN) -> Text:
    """The last messages sent: time, what, where, by whom and how (journal data, inert)."""
    text = Text()
    for sent in state.comms[-limit:]:
        number = f" #{inert(sent.get('number'), 6)}" if sent.get("number") is not None else ""
        text.append(f"{_hhmm(epoch(sent.get('sent_at')))}  ", style="dim")
        text.append(f"{inert(sent.get('template'), 30)}{number} → "
                    f"{inert(sent.get('channel'), 30)}")
        text.append(f"  {inert(sent.get('sent_by'), 24)}, {inert(sent.get('via'), 10)}\n",
                    style="dim")
    if not state.comms:
        text.append("nothing sent yet", style="dim")
    text.rstrip()
    return text


def saved_draft(state: IncidentState, template: str) -> str | None:
    """A journaled draft not sent since (for a status update: of the number due next)."""
    saved = state.comms_drafts.get(template)
    if not saved or not isinstance(saved.get("text"), str):
        return None
    if template == STATUS_UPDATE and saved.get("number") != next_update_number(state):
        return None
    sent = {c.get("text") for c in state.comms if c.get("template") == template}
    return None if saved["text"] in sent else saved["text"]


def feed_blockers(kube_status: Any, metrics: Mapping[str, Any], now: float) -> list[str]:
    """Stale live feeds, said in a status update's blockers (the journal cannot know them)."""
    found = []
    since = getattr(kube_status, "stale_since", None)
    if since is not None or str(getattr(kube_status, "state", "")) in ("retrying", "stopped"):
        found.append("The cluster feed is stale" + (f" since {_hhmm(since)}" if since else "")
                     + ": pod and rollout figures may be out of date")
    stale = [literal(name, 40) for name, view in metrics.items() if getattr(view, "stale", 0)]
    if stale:
        found.append(f"Metrics not updating ({', '.join(stale)}): Prometheus unreachable")
    return found


class CommsScreen(AppScreen):
    """Pick a message, edit the filled draft, copy it, mark it sent, or send it."""

    CSS_PATH = "comms.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="comms_back"),
        Binding("y", "copy", "Copy", id="comms_copy"),
        Binding("m", "mark_sent", "Mark sent", id="comms_mark_sent"),
        Binding("w", "send", "Send to webhook", id="comms_send"),
        Binding("d", "save_draft", "Save draft", id="comms_save_draft"),
        Binding("r", "refill", "Fill again", id="comms_refill"),
    ]

    def __init__(self, template: str = STATUS_UPDATE,
                 webhooks: tuple[WebhookSetting, ...] = ()) -> None:
        """Open on `template`; `webhooks` are those of the settings file."""
        super().__init__()
        self.template = template_info(template).id
        self.configured = webhooks
        self._edits: dict[str, str] = {}
        self._shown_text = ""
        self._draft: Draft | None = None
        self._sending = False

    @property
    def session(self) -> IncidentSession:
        """The incident session (the panel opens only with one)."""
        session = self.rollback_app.session
        assert session is not None
        return session

    def compose(self) -> ComposeResult:
        """Context bar; templates, cadence and what was sent | the draft, channel, webhook."""
        context = self.rollback_app.context
        yield ContextBar(clock=context.clock, production_pattern=context.production_pattern,
                         id="context-bar")
        with Horizontal(id="comms-body"):
            with Vertical(id="comms-side"):
                yield OptionList(*[Option(t.name, id=t.id) for t in TEMPLATES],
                                 id="comms-templates")
                yield Static(id="comms-cadence")
                yield Static(id="comms-sent")
            with Vertical(id="comms-main"):
                yield Static(id="comms-subject")
                yield TextArea(id="comms-draft", soft_wrap=True)
                with Horizontal(id="comms-send-row"):
                    yield Label("channel ")
                    yield Input(id="comms-channel")
                    yield Label(" webhook ")
                    names = [w.name for w in self.webhooks()]
                    yield Select([(inert(n, 40), n) for n in names], id="comms-webhook",
                                 allow_blank=not names, prompt="none configured")
                yield Static(id="comms-status")
        yield Footer()

    def webhooks(self) -> list[WebhookSetting]:
        """Configured webhooks and those named in the environment."""
        return self.session.webhooks(self.configured)

    def on_mount(self) -> None:
        """Show the template asked for; follow the incident; tick the cadence clock."""
        paths = self.rollback_app.context.paths
        if self.session.comms_templates is None and paths is not None:
            self.session.comms_templates = paths.config_file.parent / "templates"
        templates = self.query_one("#comms-templates", OptionList)
        templates.highlighted = [t.id for t in TEMPLATES].index(self.template)
        templates.focus()
        # Messages are prose: "[DRILL]" is no pair of brackets to match.
        self.query_one("#comms-draft", TextArea).match_cursor_bracket = False
        self.watch(self.rollback_app, "incident", self._incident, init=True)
        self.set_interval(1.0, self._tick)
        self.set_class(self.app.size.width < NARROW, "-narrow")
        self._show(self.template)

    def on_resize(self, event: Any) -> None:
        """Stack the templates over the draft on narrow terminals."""
        self.set_class(event.size.width < NARROW, "-narrow")

    # ---- what is shown ---------------------------------------------------------------------
    def _state(self) -> IncidentState:
        return self.rollback_app.incident or self.session.snapshot()

    def _incident(self, _state: object) -> None:
        session, state = self.session, self._state()
        holder = self.rollback_app.holder if session.read_only else None
        self.query_one(ContextBar).info = context_info(session, session.phase(), holder)
        self.query_one("#comms-sent", Static).update(sent_lines(state))
        self._tick()
        if self.template not in self._edits and saved_draft(state, self.template) is None:
            self._show(self.template)  # an untouched draft follows the incident

    def _tick(self) -> None:
        clock = cadence(self._state(), self.session.runbook)
        self.query_one("#comms-cadence", Static).update(
            cadence_line(clock, self.rollback_app.context.clock()))

    def _show(self, template: str) -> None:
        """Put a template's text in the editor: the edit in progress, else a saved draft not
        sent yet, else freshly filled."""
        self.template = template
        app = self.rollback_app
        status = self.query_one("#comms-status", Static)
        try:
            draft = self.session.draft(template, blockers=feed_blockers(
                app.kube_status, app.metrics, app.context.clock()))
        except Exception as exc:  # noqa: BLE001 - a broken user template: say which, go on
            status.update(Text(inert(str(exc)), style="bold"))
            return
        self._draft = draft
        saved = saved_draft(self._state(), template)
        text = self._edits.get(template) or saved or draft.text
        origin = ("your edit" if template in self._edits else "saved draft" if saved
                  else "filled from the incident")
        subject = Text(inert(draft.subject), style="bold")
        subject.append(f"  ({origin})", style="dim")
        self.query_one("#comms-subject", Static).update(subject)
        self._shown_text = text
        editor = self.query_one("#comms-draft", TextArea)
        if editor.text != text:
            editor.load_text(text)
        channel = self.query_one("#comms-channel", Input)
        channel.value = draft.channel
        status.update("")

    @on(OptionList.OptionHighlighted, "#comms-templates")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id and event.option.id != self.template:
            self._show(event.option.id)

    @on(OptionList.OptionSelected, "#comms-templates")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.query_one("#comms-draft", TextArea).focus()

    @on(TextArea.Changed, "#comms-draft")
    def _edited(self, event: TextArea.Changed) -> None:
        text = event.text_area.text
        if text != self._shown_text:
            self._edits[self.template] = text
        self._shown_text = text

    def _text(self) -> str:
        return self.query_one("#comms-draft", TextArea).text

    # ---- actions ---------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Journaling needs a writable session; sending needs a webhook."""
        if action in ("mark_sent", "save_draft", "send") and self.session.read_only:
            return None
        if action == "send" and self.query("#comms-webhook") and \
                self.query_one("#comms-webhook", Select).value is Select.BLANK:
            return None
        return True

    def action_back(self) -> None:
        """From the editor or a field, back to the templates; from there, leave."""
        focused = self.focused
        if isinstance(focused, TextArea | Input | Select):
            self.query_one("#comms-templates", OptionList).focus()
            return
        self.dismiss(None)

    def action_copy(self) -> None:
        """Copy the message through the terminal (works over SSH)."""
        self.app.copy_to_clipboard(self._text())
        self.notify("copied to the clipboard: paste it, then m marks it sent", timeout=3)

    def action_refill(self) -> None:
        """Forget the edit and fill the message again from the incident now."""
        self._edits.pop(self.template, None)
        self._show(self.template)

    def action_save_draft(self) -> None:
        """Journal the draft (it is offered again until sent)."""
        template, text = self.template, self._text()
        channel = self.query_one("#comms-channel", Input).value
        self.rollback_app.run_in_session(
            "save the draft", lambda: self.session.save_draft(template, text, channel=channel),
            lambda _result: self.notify("draft saved in the journal", timeout=3))

    def action_mark_sent(self) -> None:
        """Journal that the message was posted by hand to the channel given."""
        template, text = self.template, self._text()
        channel = self.query_one("#comms-channel", Input).value.strip()
        if not channel:
            self.query_one("#comms-channel", Input).focus()
            self.notify("say where it was posted (channel)", severity="warning")
            return
        title = self._draft.title if self._draft else template

        def done(_number: object) -> None:
            self._edits.pop(template, None)
            self.notify(f"{title} journaled as sent to {inert(channel, 60)}", timeout=4,
                        markup=False)
            self._show(self.template)

        self.rollback_app.run_in_session(
            f"mark the {template} message sent",
            lambda: self.session.mark_sent(template, text, channel), done)

    def action_send(self) -> None:
        """Post the message to the chosen webhook in a worker; a failure keeps the draft."""
        if self._sending:
            self.notify("a message is being sent; wait for it", severity="warning")
            return
        name = self.query_one("#comms-webhook", Select).value
        webhook = next((w for w in self.webhooks() if w.name == name), None)
        if webhook is None:
            return
        template, text = self.template, self._text()
        channel = self.query_one("#comms-channel", Input).value.strip()
        channel = "" if channel == (self._draft.channel if self._draft else "") else channel
        status = self.query_one("#comms-status", Static)
        status.update(f"sending to {inert(webhook.name, 40)}…")
        self._sending = True

        def send() -> Any:
            try:
                delivery = self.session.send(template, text, webhook, channel=channel)
            except SessionError as exc:  # journaled by the session; the draft stays here
                self.app.call_from_thread(self._sent, f"not sent: {exc}")
                return None
            except Exception as exc:
                self.app.call_from_thread(self._sent, f"not sent: {exc}")
                raise  # the app's worker handler notifies and journals it
            self.app.call_from_thread(self._sent, "")
            return delivery

        def done(delivery: Any) -> None:
            if delivery is None:  # why is under the editor; the draft stays as edited
                self.notify("not sent: the draft is kept", severity="error", timeout=8)
                return
            self._edits.pop(template, None)
            if delivery is not None:
                self.notify(inert(delivery.message), timeout=5, markup=False)
            self._show(self.template)

        self.rollback_app.run_in_session(f"send to webhook {webhook.name}", send, done)

    def _sent(self, problem: str) -> None:
        self._sending = False
        self.query_one("#comms-status", Static).update(Text(inert(problem), style="bold"))

    @on(Select.Changed, "#comms-webhook")
    def _webhook_changed(self, _event: Select.Changed) -> None:
        self.refresh_bindings()
