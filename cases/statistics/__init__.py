"""統計 (statistics): the fiscal-year figures and national indicators, with the registry
through which every program adds its sections."""
