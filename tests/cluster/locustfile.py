"""The mixed load of the cluster test (run by Locust in a subprocess, never imported by pytest).

Each simulated official logs in as the NIMIC's administrator and then searches, views tabs,
edits its own module access inline (a setting toggled, so every save is a change) and registers
users in its own authority. Every change it attempts is written to ``CLUSTER_RECORD_DIR`` with
its outcome: the test checks that each acknowledged one is in the database.
"""

import itertools
import json
import os
import random
import re
import time
import uuid

from locust import HttpUser, between, task

SETUP = json.loads(open(os.environ["CLUSTER_SETUP"]).read())
RECORD_DIR = os.environ["CLUSTER_RECORD_DIR"]
WAIT = [float(x) for x in os.environ.get("CLUSTER_WAIT", "0.1,0.5").split(",")]
TABS = ["authority", "modules", "users", "management"]
_slots = itertools.count()


class Official(HttpUser):
    wait_time = between(*WAIT)

    def on_start(self):
        self.slot = SETUP["slots"][next(_slots) % len(SETUP["slots"])]
        self.record_file = open(os.path.join(RECORD_DIR, f"record-{uuid.uuid4().hex}.jsonl"), "a", buffering=1)
        self.value = False
        self.registered = 0
        for _attempt in range(20):  # a login may land on the server being killed
            if self._login():
                return
            time.sleep(0.5)
        raise RuntimeError("could not log in")

    def on_stop(self):
        self.record_file.close()

    def record(self, **entry):
        self.record_file.write(json.dumps({"time": time.time(), **entry}) + "\n")

    def _login(self) -> bool:
        page = self.client.get("/login", name="login form")
        match = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
        if not match:
            return False
        response = self.client.post(
            "/login", name="login",
            data={"csrf_token": match.group(1), "username": SETUP["admin"], "password": SETUP["password"]},
        )
        if response.status_code != 200 or "/login" in response.url:
            return False
        match = re.search(r'name="csrf-token" content="([^"]+)"', response.text)
        self.token = match.group(1)
        return True

    def htmx(self):
        return {"HX-Request": "true", "X-CSRFToken": self.token}

    @task(4)
    def search(self):
        term = random.choice(SETUP["search_terms"])
        self.client.get(f"/authorities/?q={term}&mine=no", headers=self.htmx(), name="search")

    @task(1)
    def directory(self):
        term = random.choice(SETUP["search_terms"])
        self.client.get(f"/directory/?q={term}", headers=self.htmx(), name="directory search")

    @task(4)
    def tab(self):
        authority_id = random.choice(SETUP["searched"])
        self.client.get(f"/authorities/{authority_id}/{random.choice(TABS)}", headers=self.htmx(), name="tab")

    @task(2)
    def edit_module(self):
        slot = self.slot
        base = f"/authorities/{slot['authority_id']}/modules/{slot['access_id']}"
        self.client.get(base + "/edit", headers=self.htmx(), name="inline edit form")
        value = not self.value
        data = {"role": slot["role"], "linked_coordinator": "0"}
        if value:
            data["may_refuse_requests"] = "y"
        self.record(kind="edit", phase="sent", access_id=slot["access_id"], value=value)
        response = self.client.post(base + "/edit", data=data, headers=self.htmx(), name="inline edit save")
        ok = response.status_code == 200
        if ok:
            self.value = value
        self.record(kind="edit", phase="done", access_id=slot["access_id"], value=value, ok=ok, status=response.status_code)

    @task(1)
    def register_user(self):
        self.registered += 1
        tag = uuid.uuid4().hex[:8]
        email = f"load-{tag}@load.lv.example"
        data = {
            "first_name": f"Slodze{tag}", "surname": f"Lietotājs{self.registered}", "email": email,
            "language": "en", "csrf_token": self.token,
        }
        self.record(kind="user", phase="sent", email=email)
        response = self.client.post(
            f"/authorities/{self.slot['authority_id']}/users/new", data=data, headers=self.htmx(), name="register user"
        )
        match = re.search(r"The username is (\S+)\. ", response.text) if response.status_code == 200 else None
        self.record(kind="user", phase="done", email=email, ok=bool(match), status=response.status_code,
                    username=match.group(1) if match else None)
