"""Tools used by the offline demo config (``configs/local.yaml``). Real deployments register their own."""

from __future__ import annotations

from typing import Literal

from pipeline.stages.tools import tool

_WEATHER = {"paris": (18, "sunny"), "london": (12, "rainy"), "berlin": (15, "cloudy")}


@tool(timeout=2.0)
def get_weather(city: str, unit: Literal["celsius", "fahrenheit"] = "celsius") -> dict[str, object]:
    """Current weather for a city.

    Args:
        city: City name, e.g. Paris.
        unit: Temperature unit.
    """
    degrees, sky = _WEATHER.get(city.strip().lower(), (20, "clear"))
    if unit == "fahrenheit":
        degrees = round(degrees * 9 / 5 + 32)
    return {"city": city.strip().title(), "temperature": degrees, "unit": unit, "sky": sky}


@tool(timeout=2.0)
def lookup_order(order_id: str) -> dict[str, str]:
    """Status of a customer's order.

    Args:
        order_id: The order number the caller gives.
    """
    return {"order_id": order_id, "status": "shipped", "eta": "Thursday"}


DEMO_TOOLS = [get_weather, lookup_order]
