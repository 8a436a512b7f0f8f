"""The TUI's side of drill twists: look for new ones every few seconds (off the UI loop), toast
each as it lands in the journal, and the facilitator's dialog that fires one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tui.domain.incident import DRILL_TWIST

if TYPE_CHECKING:
    from textual.timer import Timer

    from tui.app.application import RollbackApp
    from tui.session.events import SessionEvent
    from tui.session.session import IncidentSession

SYNC_EVERY = 2.0  # seconds between looks at the drill's twists


def is_drill(session: IncidentSession | None) -> bool:
    """Whether the incident is a drill (twists apply)."""
    return session is not None and (session.state.drill or session.config.drill)


def start(app: RollbackApp, session: IncidentSession, previous: Timer | None) -> Timer | None:
    """Journal the drill's twists every SYNC_EVERY seconds while `session` is attached;
    stops `previous` (an earlier incident's timer). None for incidents twists do not reach."""
    if previous is not None:
        previous.stop()
    if session.read_only:
        return None

    def look() -> None:
        if app.session is session and is_drill(session):
            app.run_worker(session.sync_twists, name="drill twists", group="twists",
                           thread=True, exit_on_error=False)

    return app.set_interval(SYNC_EVERY, look)


def toast(app: RollbackApp, event: SessionEvent) -> None:
    """A twist just journaled: say so (on the UI loop)."""
    from tui.session.events import Journaled

    if isinstance(event, Journaled) and event.event.type == DRILL_TWIST:
        data: dict[str, Any] = event.event.data
        app.notify(str(data.get("detail", "")), title=f"Twist: {data.get('event')}",
                   severity="warning", timeout=12)


def facilitate(app: RollbackApp) -> None:
    """The facilitator key: fetch the catalogue off the loop, then offer it in a dialog; the
    pick is fired off the loop and arrives in the journal like any twist."""
    session = app.session
    if session is None:
        return
    from screens.twist_picker import TwistPickerScreen

    def fire(event: str | None) -> None:
        if event:
            app.run_in_session(f"fire twist {event}", lambda: session.fire_twist(event))

    def offer(catalogue: list[dict[str, Any]]) -> None:
        app.push_screen(TwistPickerScreen(catalogue), fire)

    app.run_in_session("read the twists", session.twist_catalogue, offer)
