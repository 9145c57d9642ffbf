"""The technician's console: the table's touch screen, served as a local web app.

A client of the session owner (controller/run/session.py) and nothing more: it can ask only for
what a technician may do, and the control loop never waits on it. `service` owns the link
in one thread (table status, homing, sessions); `alarms` and `presence` are the pure rules
(IEC 60601-1-8 priorities, the 5 s console-lost grace); `forms` turns the Prepare screen
into a checked protocol; `history` reads the records; `web` serves it all (Starlette).
"""
