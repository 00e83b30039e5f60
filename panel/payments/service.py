"""The payments service: every payment command and query over one PanelApp, ``Payments(app)``.

It is made of parts, each a ``Service(app)`` object of its own that can be used alone:
``PaymentSetup`` (rate cards, budgets), ``Accrual`` (fees from attendance, decline or a lower
total, expense claims, vouchers), ``Lifecycle`` (approve, issue, reverse, vouchers' outcomes,
reconciliation) and ``PaymentQueries`` (a payment as a record). All of them share
``PaymentService`` (panel/payments/base.py): the app, one loader, one retrying save and the ledger.
"""

from __future__ import annotations

from panel.payments.accrual import Accrual
from panel.payments.lifecycle import Lifecycle
from panel.payments.queries import PaymentQueries
from panel.payments.setup import PaymentSetup

PARTS = (PaymentSetup, Accrual, Lifecycle, PaymentQueries)


class Payments(PaymentSetup, Accrual, Lifecycle, PaymentQueries):
    """Every payment command and query: the parts above, composed over one app."""
