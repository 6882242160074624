"""The engine as an HTTP service (docs/service.md): ``convention serve`` runs
:func:`app_from_env` on uvicorn; :func:`create_app` builds the ASGI application on a register.

The package keeps only HTTP: routes and startup (:mod:`.app`), reading bodies and parameters
(:mod:`.bodies`), problem documents (:mod:`.problems`), limits (:mod:`.limits`), the OpenAPI
document generated from the route declarations and the models (:mod:`.openapi`,
:mod:`.models`), and the register's store (:mod:`.store`). Every answer is the application
layer's (:mod:`engine.application`) or the public API's.
"""

from .app import app_from_env, create_app, register_document, rules_json
from .bodies import read_document
from .limits import ENV, Limits, limits_from_env
from .openapi import openapi
from .problems import PROBLEMS, Problem

__all__ = ["create_app", "app_from_env", "Limits", "limits_from_env", "ENV", "register_document",
           "rules_json", "read_document", "openapi", "Problem", "PROBLEMS"]
