"""The Management Portal's licensing pages, served by each running instance (DESIGN decision 10).

listener.py binds the instance's web server port when the instance starts and loads the web
stack on the first connection; app.py composes the Starlette application; sessions.py makes each
browser login a CSP session of the instance; security.py holds CSRF, cookies and the body limit;
pages_*.py are the pages, each rendering from the same system functions the ObjectScript API
uses; templates/ and static/ are their HTML, stylesheet and script.
"""
