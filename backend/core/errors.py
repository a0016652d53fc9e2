"""The one error tree. Every refusal the API makes is an ApplicationError subclass with a stable
`code` and an HTTP `status`; the exception handler renders {"code", "message", "extra"}."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    code = "application_error"
    status = 400
    default_message = "The request could not be completed."

    def __init__(self, message: str | None = None, extra: dict[str, Any] | None = None) -> None:
        self.message = message or self.default_message
        self.extra = extra or {}
        super().__init__(self.message)


class ValidationFailed(ApplicationError):
    code = "validation_error"
    status = 400
    default_message = "Some fields are invalid."


class NotFound(ApplicationError):
    code = "not_found"
    status = 404
    default_message = "Not found."


class PermissionDenied(ApplicationError):
    code = "permission_denied"
    status = 403
    default_message = "You do not have permission to do this."


class Conflict(ApplicationError):
    code = "conflict"
    status = 409
    default_message = "The request conflicts with the current state."


class ShortfallFilled(Conflict):
    code = "shortfall_filled"
    default_message = "This shift has just been filled."


class ShortfallClosed(Conflict):
    code = "shortfall_closed"
    default_message = "This shift is no longer open."


class OverlappingBooking(Conflict):
    code = "overlapping_booking"
    default_message = "The practitioner already has a booking at this time."


class OutsideRestRules(Conflict):
    code = "outside_rest_rules"
    default_message = "The booking would leave less than the minimum rest between shifts."


class WeeklyHoursExceeded(Conflict):
    code = "weekly_hours_exceeded"
    default_message = "The booking would exceed the practitioner's weekly hours cap."


class CredentialExpired(ApplicationError):
    code = "credential_expired"
    status = 422
    default_message = "A required credential is missing or expires before the shift ends."


class NotEligible(ApplicationError):
    code = "not_eligible"
    status = 422
    default_message = "The practitioner is not eligible for this shift."


class OfferExpired(ApplicationError):
    code = "offer_expired"
    status = 410
    default_message = "This offer has expired."


class OfferWithdrawn(Conflict):
    code = "offer_withdrawn"
    default_message = "This offer was withdrawn: the shift is filled or no longer needed."


class OfferAlreadyAnswered(Conflict):
    code = "offer_already_answered"
    default_message = "You have already answered this offer."


class BookingNotCancellable(Conflict):
    code = "booking_not_cancellable"
    default_message = "Only a confirmed booking that has not started can be cancelled."


class FeedbackNotAllowed(Conflict):
    code = "feedback_not_allowed"
    default_message = "Feedback can be given once, on a completed booking."


class NoShowNotAllowed(Conflict):
    code = "no_show_not_allowed"
    default_message = (
        "Only a confirmed or completed booking whose shift has started can be marked as a no-show."
    )


class NoShowOutsideWindow(ApplicationError):
    code = "no_show_outside_window"
    status = 422
    default_message = "A no-show can be recorded from the start of the shift until 7 days after it ends."
