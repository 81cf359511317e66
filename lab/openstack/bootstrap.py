"""Keystone's service side for the lab: the `service` project, the `service` role, the users cinder, glance, nova,
placement and neutron (roles service and admin in project service), and the image, volumev3, compute, placement
and network services with public, internal and admin endpoints in RegionOne. Idempotent: everything is looked up first, a changed URL is updated, and the users'
passwords are set every run (to the values in lab/run/openstack/passwords).

Run by lab/openstack/up.sh with the lab venv's python, after `keystone-manage bootstrap`:
    OS_CLIENT_CONFIG_FILE=lab/run/openstack/clouds.yaml python bootstrap.py PASSWORDS_FILE CONTROLLER_ADDRESS
Passwords come from the file, never from the command line.
"""

import sys

import openstack

REGION = "RegionOne"


def read_passwords(path):
    out = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                k, v = line.split("=", 1)
                out[k] = v
    return out


def main():
    pw = read_passwords(sys.argv[1])
    addr = sys.argv[2]
    conn = openstack.connect(cloud="lab-admin")
    idn = conn.identity
    default = idn.find_domain("default", ignore_missing=False)

    project = idn.find_project("service", domain_id=default.id)
    if project is None:
        project = idn.create_project(name="service", domain_id=default.id, description="OpenStack services")
        print("created project service")
    # service: what the services' policies ask for (keystonemiddleware's service token, glance's image
    # locations API). admin as well, as the install guides do: cinder's [glance] user reads the locations of
    # images of every project, and glance answers 404 for another project's private image to a non-admin.
    roles = [idn.find_role(r) or idn.create_role(name=r) for r in ("service", "admin")]

    for name in ("cinder", "glance", "nova", "placement", "neutron"):
        user = idn.find_user(name, domain_id=default.id)
        if user is None:
            user = idn.create_user(name=name, domain_id=default.id, password=pw[name.upper()],
                                   default_project_id=project.id)
            print(f"created user {name}")
        else:
            idn.update_user(user, password=pw[name.upper()])
        for role in roles:
            if not idn.validate_user_has_project_role(project, user, role):
                idn.assign_project_role_to_user(project, user, role)
                print(f"granted role {role.name} to {name}")

    services = [
        ("glance", "image", "OpenStack Image", f"http://{addr}:9292"),
        ("cinderv3", "volumev3", "OpenStack Block Storage", f"http://{addr}:8776/v3"),
        ("nova", "compute", "OpenStack Compute", f"http://{addr}:8774/v2.1"),
        ("placement", "placement", "Placement API", f"http://{addr}:8778"),
        ("neutron", "network", "OpenStack Networking", f"http://{addr}:9696"),
    ]
    for name, stype, desc, url in services:
        svc = next((s for s in idn.services() if s.type == stype and s.name == name), None)
        if svc is None:
            svc = idn.create_service(name=name, type=stype, description=desc, is_enabled=True)
            print(f"created service {name} ({stype})")
        existing = {e.interface: e for e in idn.endpoints(service_id=svc.id, region_id=REGION)}
        for iface in ("public", "internal", "admin"):
            ep = existing.get(iface)
            if ep is None:
                idn.create_endpoint(service_id=svc.id, interface=iface, url=url, region_id=REGION)
                print(f"created {iface} endpoint {url} for {name}")
            elif ep.url != url:
                idn.update_endpoint(ep, url=url)
                print(f"updated {iface} endpoint of {name} to {url}")


if __name__ == "__main__":
    main()
