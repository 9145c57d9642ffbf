"""The application's composition: device URLs to links (the sim:// root), the site's
configuration, a simulated table made ready, the traceability matrix.
"""
