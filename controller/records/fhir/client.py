"""The clinic's FHIR server over HTTP: search and conditional create, each request bounded.

A token is read from a file (mode 600, as a sign-in token), never from the site file, so
that the site file can be read by anyone at the table. Every request has a timeout; what
fails is a `FhirError` naming the server and what it said, never a hang.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

FHIR_JSON = "application/fhir+json"
REQUEST_TIMEOUT_S = 10.0  # one request to the clinic's server, connect to last byte
CREATED, EXISTED = 201, 200  # a conditional create: made now, or found and left as it was


class FhirError(RuntimeError):
    """The server could not be reached, refused, or answered what is not FHIR."""


@dataclass(frozen=True, slots=True)
class FhirServer:
    base_url: str
    token: str | None = None
    timeout_s: float = REQUEST_TIMEOUT_S

    @classmethod
    def configured(cls, base_url: str, token_file: Path | None) -> FhirServer:
        token = None
        if token_file is not None:
            if token_file.stat().st_mode & 0o077:
                raise FhirError(f"{token_file}: readable by others; chmod 600 it")
            token = token_file.read_text(encoding="utf-8").strip()
        return cls(base_url.rstrip("/"), token)


class FhirClient:
    def __init__(self, server: FhirServer) -> None:
        headers = {"Accept": FHIR_JSON}
        if server.token:
            headers["Authorization"] = f"Bearer {server.token}"
        self.server = server
        self.http = httpx.Client(
            base_url=server.base_url, headers=headers, timeout=server.timeout_s
        )

    def close(self) -> None:
        self.http.close()

    def search(self, kind: str, **params: str) -> list[dict[str, Any]]:
        """Every resource of `kind` the search finds (the searchset's pages followed)."""
        found: list[dict[str, Any]] = []
        url: str | None = f"/{kind}?{urlencode(params)}"
        while url:
            bundle = self._json(self._send("GET", url))
            found += [e["resource"] for e in bundle.get("entry") or [] if "resource" in e]
            url = next(
                (ln["url"] for ln in bundle.get("link", []) if ln["relation"] == "next"), None
            )
        return found

    def create(self, kind: str, resource: dict[str, Any], if_none_exist: str) -> tuple[str, bool]:
        """POST with If-None-Exist: ("Kind/id", whether it was made now)."""
        response = self._send(
            "POST",
            f"/{kind}",
            json=resource,
            headers={"If-None-Exist": if_none_exist, "Content-Type": FHIR_JSON},
        )
        location = response.headers.get("Location") or response.headers.get("Content-Location")
        if location:
            parts = location.rstrip("/").split("/")
            at = parts.index(kind) if kind in parts else len(parts) - 2
            return f"{kind}/{parts[at + 1]}", response.status_code == CREATED
        body = self._json(response)
        if "id" not in body:
            raise FhirError(f"{self.server.base_url}: a {kind} created without its id")
        return f"{kind}/{body['id']}", response.status_code == CREATED

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise FhirError(f"{self.server.base_url}: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 400:
            raise FhirError(
                f"{self.server.base_url}: {method} {url.split('?', maxsplit=1)[0]} refused "
                f"({response.status_code}): {_outcome(response)}"
            )
        return response

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError as exc:
            raise FhirError(f"{self.server.base_url}: an answer that is not JSON") from exc
        if not isinstance(body, dict):
            raise FhirError(f"{self.server.base_url}: an answer that is not a FHIR resource")
        return body


def _outcome(response: httpx.Response) -> str:
    """An OperationOutcome's words, or the start of whatever else came back."""
    try:
        issues = response.json().get("issue", [])
        words = [i.get("details", {}).get("text") or i.get("code", "") for i in issues]
        return "; ".join(w for w in words if w) or response.reason_phrase
    except (ValueError, AttributeError):
        return response.text[:200] or response.reason_phrase
