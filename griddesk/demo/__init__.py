"""Demo data for GridDesk: ``griddesk demo`` and ``griddesk token``.

``walk`` loads a small realistic utility by driving the real services (every
event is written by ``griddesk.workorders.services``); ``bulk`` adds hundreds of
thousands of orders for benchmarks with COPY / bulk inserts whose rows follow
the same rules (numbers, deadlines, routing, event log).
"""
