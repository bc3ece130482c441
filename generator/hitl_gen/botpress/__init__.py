"""What hitl-gen knows about Botpress v12: versions, routes, file layout.

Everything version- or path-specific lives here so that supporting another
Botpress release is a change in this package only.
"""
