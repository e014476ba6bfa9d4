from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from griddesk.common.errors import NotFound
from griddesk.organisation.access import actor_for

from . import masking, selectors
from .services import pii_access_log


class CustomerDetailApi(APIView):
    """A customer with their contact history (orders the caller may see)."""

    @extend_schema(
        responses=inline_serializer(
            "CustomerDetail",
            {
                "account_no": serializers.CharField(),
                "name": serializers.CharField(),
                "phone": serializers.CharField(),
                "address": serializers.CharField(),
                "id_number": serializers.CharField(),
                "category": serializers.CharField(),
                "voltage_level": serializers.CharField(),
                "station": serializers.CharField(allow_null=True),
                "sensitive": serializers.BooleanField(),
                "masked": serializers.BooleanField(),
                "orders": serializers.ListField(child=serializers.DictField()),
            },
        )
    )
    def get(self, request: Request, account_no: str) -> Response:
        actor = actor_for(request.user)
        with transaction.atomic():  # the read and its access-log row commit together
            found = selectors.customer_visible_get(actor, account_no)
            if found is None:  # absent and not-yours answer alike
                raise NotFound(_("Customer %(account_no)s was not found.") % {"account_no": account_no})
            customer, orders = found
            unmasked = selectors.customer_unmasked(actor)
            if unmasked:
                pii_access_log(
                    user=request.user, entries=[(customer, o.number) for o in orders] or [(customer, "")],
                    via="api-customer", fields="name,phone,address,id_number",
                )
        return Response(
            {
                "account_no": customer.account_no,
                "name": customer.name,
                "phone": customer.phone if unmasked else masking.mask_phone(customer.phone),
                "address": customer.address if unmasked else masking.mask_address(customer.address),
                "id_number": customer.id_number if unmasked else masking.mask_id_number(customer.id_number),
                "category": customer.category,
                "voltage_level": customer.voltage_level,
                "station": customer.station.code if customer.station else None,
                "sensitive": customer.sensitive,
                "masked": not unmasked,
                "orders": [
                    {
                        "number": o.number,
                        "type": o.type,
                        "category": o.category.code if o.category else None,
                        "state": o.state,
                        "received_at": o.received_at,
                    }
                    for o in orders
                ],
            }
        )
