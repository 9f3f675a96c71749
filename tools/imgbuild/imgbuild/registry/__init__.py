"""Shipping images through OCI registries (the distribution API).

reference.py parses REGISTRY/REPO:TAG and REPO@sha256:...; auth.py finds
credentials and answers WWW-Authenticate challenges; client.py is the HTTP
layer (TLS, redirects, errors as UserError); artifact.py turns a store
image into an OCI manifest and back; push.py and pull.py move the blobs.
Library code: raises UserError, reports progress through callbacks.
"""
