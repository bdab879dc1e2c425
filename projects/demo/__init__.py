"""`manage.py demo_connect`: a demo project connected through the portal's own pages and the sandbox's OAuth pages."""
