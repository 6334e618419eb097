def get_username(request, credentials: dict) -> str | None:
    """The name axes locks out: the username or email the caller tried."""
    if credentials:
        return credentials.get("username") or credentials.get("email")
    if request is not None and hasattr(request, "POST"):
        return request.POST.get("username") or request.POST.get("email")
    return None


def is_locked_out(request) -> bool:
    """True when axes refused the last authenticate() for this request.

    Django's authenticate() turns axes' PermissionDenied into a plain None, so API
    views ask here to answer 429 instead of a misleading 401.
    """
    inner = getattr(request, "_request", request)
    return bool(
        getattr(inner, "axes_locked_out", False)
        or getattr(request, "axes_locked_out", False)
    )
