"""`IncidentSession`: the one incident session the headless runner, the TUI and the follow view
drive. Every operation goes journal first; subscribers get typed events with the state after."""

from __future__ import annotations

from tui.session.communicating import CommunicatingMixin
from tui.session.core import SessionConfig, SessionError, refuse
from tui.session.deciding import DecidingMixin, DecisionInput, UndoTarget
from tui.session.drilling import DrillingMixin
from tui.session.events import ConfirmationRequest
from tui.session.executing import ExecutingMixin
from tui.session.postmortem import PostmortemMixin
from tui.session.resumption import InterruptedStep, Resumption
from tui.session.twists import TwistsMixin
from tui.session.verifying import VerifyingMixin


class IncidentSession(DrillingMixin, CommunicatingMixin, PostmortemMixin, VerifyingMixin,
                      ExecutingMixin, DecidingMixin, TwistsMixin):
    """An incident being worked on (or followed): assess, decide, run, verify, resolve."""


__all__ = ["ConfirmationRequest", "DecisionInput", "IncidentSession", "InterruptedStep",
           "Resumption", "SessionConfig", "SessionError", "UndoTarget", "refuse"]
