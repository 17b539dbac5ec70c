"""The jobcenter's processes, one module each.

=====================  =====================================================================
``population``         spell outcomes, the initial stock at t0, the inflow
``spells``             a citizen's spells: start, end, transfers, returns, the citizen's alarm
``talks``              mandated talks: deadlines, the booking, holding, the daily round
``caseload``           which caseworker serves a citizen (fixed caseload)
``booking``            when a talk is booked (the booking rule) and who does the booking work
``appointment_book``   the caseworkers' appointment books: search, reserve, release
``staff``              staff pools: calendars, caseloads, desk queues and the working day
``offers``             mandatory offers and their start-up work (the offer provider)
``routing``            which staff member does a piece of desk work
``rehabilitation``     the rehabilitation team: referral, preparation, meetings, decisions
``reassessment``       the formal reassessment of flexjob-unemployment cases
``effects``            how service changes a spell (neutral in the baseline)
``rules``              the rulebook applied: talk deadlines
``services``           the components serving one benefit group, resolved when the model is built
=====================  =====================================================================
"""
