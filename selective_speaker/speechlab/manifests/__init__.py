"""Evaluation manifests (JSON) for `python -m selective_speaker.speechlab eval NAME`.

`build_shared` writes the ones over ../shared/data; the others are written by hand.
"""
