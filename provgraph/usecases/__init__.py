"""Use cases: what combines readers (query, export, render, validate) or writes events on their answers.

Readers only read; anything that records an event or assembles several readers lives here.
"""
