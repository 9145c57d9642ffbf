"""The second layer's checks, one object each (as Klipper's verify_heater): each holds its
condition, its latch and what of it still refuses a reset, and names its requirement, so a
check is read, tested and traced in one place. `safety.monitor.Monitor` runs them in order.
"""
