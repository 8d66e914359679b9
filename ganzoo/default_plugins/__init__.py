"""Plugins that register the core's own losses, conditioning strategies and datasets.

They are ordinary plugins, registered by :mod:`ganzoo.plugins` before any entry point:
read them as examples of the registration hooks.
"""
