"""The control core: the control cycle, the treatment policy, the force loop, the session's
states and events, preparation and homing, the real-time grants, the logs.
"""
