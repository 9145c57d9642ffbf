"""A clinic's FHIR R4B server on 127.0.0.1, on fhirstarter (FastAPI and fhir.resources).

fhirstarter validates every resource it receives against the R4B models and refuses what
does not validate; this file adds only storage (in memory), the searches the table uses
(identifier, subject, code), conditional create (If-None-Exist: the match's id, 200, and
nothing created) and a bearer token. (No `from __future__ import annotations`: fhirstarter
reads the handlers' annotations as types.) Run as a process: `python -m tests.fhir.health_record
--token T` prints its port, then serves until killed.
"""

import argparse
import os
import socket
import sys
import uuid
from typing import Any
from urllib.parse import parse_qs

os.environ["FHIR_SEQUENCE"] = "R4B"  # read by fhirstarter at import

import uvicorn
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.device import Device
from fhir.resources.R4B.devicemetric import DeviceMetric
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.procedure import Procedure
from fhir.resources.R4B.resource import Resource
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhirstarter import FHIRProvider, FHIRStarter, InteractionContext, Request
from fhirstarter.exceptions import FHIRResourceNotFoundError
from starlette.responses import JSONResponse, Response

STORED: dict[str, dict[str, dict[str, Any]]] = {}
CREATED: dict[str, int] = {}  # creates that made a resource, by type (for the tests)


def _matches_token(items: list[dict[str, Any]], wanted: str) -> bool:
    """FHIR token search: "system|value", "system|" (any value) or "value"."""
    system, bar, value = wanted.rpartition("|")
    for item in items:
        if bar and item.get("system") != system:
            continue
        if value == "" or item.get("value", item.get("code")) == value:
            return True
    return False


def _search(kind: str, **params: str | None) -> list[dict[str, Any]]:
    found = []
    for resource in STORED.get(kind, {}).values():
        ok = True
        for name, wanted in params.items():
            if wanted is None:
                continue
            if name == "identifier":
                ok &= _matches_token(resource.get("identifier", []), wanted)
            elif name == "code":
                ok &= _matches_token(resource.get("code", {}).get("coding", []), wanted)
            elif name in ("subject", "patient"):
                ok &= resource.get("subject", {}).get("reference") == wanted
        if ok:
            found.append(resource)
    return found


def _bundle(found: list[dict[str, Any]]) -> Bundle:
    return Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(found),
            "entry": [{"resource": r} for r in found] or None,
        }
    )


def _create(context: InteractionContext, resource: Resource) -> str:
    kind = resource.get_resource_type()
    condition = context.request.headers.get("If-None-Exist")
    if condition:
        wanted = parse_qs(condition).get("identifier", [""])[0]
        matches = _search(kind, identifier=wanted)
        if len(matches) > 1:
            raise ValueError(f"If-None-Exist matches {len(matches)} {kind} resources")
        if matches:
            context.response.status_code = 200  # conditional create: it exists, nothing made
            return str(matches[0]["id"])
    id_ = uuid.uuid4().hex
    resource.id = id_
    STORED.setdefault(kind, {})[id_] = resource.model_dump(mode="json", exclude_none=True)
    CREATED[kind] = CREATED.get(kind, 0) + 1
    return id_


def _read(kind: str, id_: str) -> dict[str, Any]:
    found = STORED.get(kind, {}).get(id_)
    if found is None:
        raise FHIRResourceNotFoundError
    return found


provider = FHIRProvider()


def _create_and_read(model: type[Resource]) -> None:
    """Create (conditional) and read of one resource type; fhirstarter validates against
    `model`, the handlers' annotations (evaluated here, so the type itself)."""
    kind = model.get_resource_type()

    async def create(context: InteractionContext, resource: model) -> str:  # type: ignore[valid-type]
        return _create(context, resource)

    async def read(context: InteractionContext, id_: str) -> model:  # type: ignore[valid-type]
        return model.model_validate(_read(kind, id_))

    provider.create(model)(create)
    provider.read(model)(read)


for _model in (Patient, Procedure, Observation, Device, DeviceMetric, ServiceRequest):
    _create_and_read(_model)


# the searches the table makes, each with its own parameters (fhirstarter reads their names)
@provider.search_type(Patient)
async def patient_search(context: InteractionContext, identifier: str | None) -> Bundle:
    return _bundle(_search("Patient", identifier=identifier))


@provider.search_type(Procedure)
async def procedure_search(
    context: InteractionContext, identifier: str | None, subject: str | None
) -> Bundle:
    return _bundle(_search("Procedure", identifier=identifier, subject=subject))


@provider.search_type(Observation)
async def observation_search(
    context: InteractionContext,
    identifier: str | None,
    subject: str | None,
    code: str | None,
) -> Bundle:
    return _bundle(_search("Observation", identifier=identifier, subject=subject, code=code))


@provider.search_type(Device)
async def device_search(context: InteractionContext, identifier: str | None) -> Bundle:
    return _bundle(_search("Device", identifier=identifier))


@provider.search_type(DeviceMetric)
async def metric_search(context: InteractionContext, identifier: str | None) -> Bundle:
    return _bundle(_search("DeviceMetric", identifier=identifier))


@provider.search_type(ServiceRequest)
async def order_search(
    context: InteractionContext, subject: str | None, code: str | None
) -> Bundle:
    return _bundle(_search("ServiceRequest", subject=subject, code=code))


def app(token: str) -> FHIRStarter:
    server = FHIRStarter(title="the clinic's health record (test)")
    server.add_providers(provider)

    @server.middleware("http")
    async def bearer(request: Request, call_next: Any) -> Response:
        if request.url.path.startswith("/_test/"):
            return JSONResponse({"created": CREATED})
        if request.headers.get("Authorization") != f"Bearer {token}":
            return JSONResponse(
                {
                    "resourceType": "OperationOutcome",
                    "issue": [{"severity": "error", "code": "login"}],
                },
                status_code=401,
            )
        response: Response = await call_next(request)
        return response

    return server


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--token", required=True)
    args = parser.parse_args(argv)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)  # connections wait in the backlog until uvicorn serves: no race at start
    sys.stdout.write(f"{sock.getsockname()[1]}\n")
    sys.stdout.flush()
    config = uvicorn.Config(app(args.token), log_level="warning")
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main(sys.argv[1:])
