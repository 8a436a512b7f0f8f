"""The one description of the types the drill cluster serves, from which its OpenAPI v2 and v3
documents and its strict field validation are all generated (see `openapi.py`).

Each definition: its description and its fields, as (name, type, description[, strategy]).
A name ending in `!` is required. Types: `string`, `int32`, `int64`, `bool`, `double`, `bytes`
(base64 in JSON), `time` (meta Time), `microtime`, `intstr` (IntOrString), `quantity`, `any`
(free-form object, kept as sent), `GROUP.Name` (another definition), `[]T` (list), `{}T` (map
of string to T). A list type `[]T@key` is merged by `key` in strategic merge patches (a
list-map); `[]T@` is merged as a set. The optional fourth element is a patch strategy
(`retainKeys`). Fields and descriptions follow k8s.io/api v1.32 (a test holds them to the
official Python client's models); substructures the drill never interprets (volumes, affinity,
probes' exec…) are `any`, so whatever a real manifest holds there is accepted and kept.
"""

from __future__ import annotations

Field = tuple[str, ...]
Definition = tuple[str, list[Field]]

PREFIXES = {
    "core": "io.k8s.api.core.v1", "apps": "io.k8s.api.apps.v1",
    "discovery": "io.k8s.api.discovery.v1", "networking": "io.k8s.api.networking.v1",
    "coordination": "io.k8s.api.coordination.v1", "autoscaling": "io.k8s.api.autoscaling.v1",
    "meta": "io.k8s.apimachinery.pkg.apis.meta.v1",
}

_API_VERSION = ("APIVersion defines the versioned schema of this representation of an object. "
                "Servers should convert recognized schemas to the latest internal value, and may "
                "reject unrecognized values. More info: https://git.k8s.io/community/contributors"
                "/devel/sig-architecture/api-conventions.md#resources")
_KIND = ("Kind is a string value representing the REST resource this object represents. Servers "
         "may infer this from the endpoint the client submits requests to. Cannot be updated. In "
         "CamelCase. More info: https://git.k8s.io/community/contributors/devel/"
         "sig-architecture/api-conventions.md#types-kinds")
_META = ("Standard object's metadata. More info: https://git.k8s.io/community/contributors/"
         "devel/sig-architecture/api-conventions.md#metadata")
_LIST_META = ("Standard list metadata. More info: https://git.k8s.io/community/contributors/"
              "devel/sig-architecture/api-conventions.md#types-kinds")


def kind_object(description: str, *fields: Field, spec: str = "", status: str = "") -> Definition:
    """A top-level kind: apiVersion, kind, metadata, then its own fields."""
    head: list[Field] = [("apiVersion", "string", _API_VERSION), ("kind", "string", _KIND),
                         ("metadata", "meta.ObjectMeta", _META)]
    if spec:
        head.append(("spec", spec, "Spec defines the desired behavior of the object."))
    if status:
        head.append(("status", status, ("Most recently observed status of the object. "
                                       "Populated by the system. Read-only.")))
    return description, [*head, *fields]


def _list(name: str) -> Definition:
    """`KindList`: the answer of a list request."""
    kind = name.split(".")[1]
    return (f"{kind}List is a list of {kind} objects.",
            [("apiVersion", "string", _API_VERSION),
             ("items!", f"[]{name}", f"Items is the list of {kind} objects."),
             ("kind", "string", _KIND), ("metadata", "meta.ListMeta", _LIST_META)])


_TIMES = {
    "lastHeartbeatTime": "Last time we got an update on a given condition.",
    "lastProbeTime": "Last time we probed the condition.",
    "lastUpdateTime": "The last time this condition was updated.",
    "lastTransitionTime": "Last time the condition transitioned from one status to another.",
}
_CONDITION_TIMES = {"Deployment": ("lastUpdateTime", "lastTransitionTime"),
                    "ReplicaSet": ("lastTransitionTime",),
                    "Pod": ("lastProbeTime", "lastTransitionTime"),
                    "Node": ("lastHeartbeatTime", "lastTransitionTime")}


def condition(owner: str) -> Definition:
    """`OwnerCondition`: type, status, the owner's timestamps, reason and message."""
    times: list[Field] = [(name, "time", _TIMES[name]) for name in _CONDITION_TIMES[owner]]
    return (f"{owner}Condition describes the state of a {owner.lower()} at a certain point.",
            [("type!", "string", f"Type of {owner.lower()} condition."),
             ("status!", "string", "Status of the condition, one of True, False, Unknown."),
             *times,
             ("reason", "string", "The reason for the condition's last transition."),
             ("message", "string", ("A human readable message indicating details about the "
                                   "transition."))])


META: dict[str, Definition] = {
    "meta.ObjectMeta": (("ObjectMeta is metadata that all persisted resources must have, which "
                        "includes all objects users must create."), [
        ("name", "string", ("Name must be unique within a namespace. Is required when creating "
                           "resources. Cannot be updated.")),
        ("generateName", "string", ("GenerateName is an optional prefix, used by the server, to "
                                   "generate a unique name ONLY IF the Name field has not been "
                                   "provided.")),
        ("namespace", "string", ("Namespace defines the space within which each name must be "
                                "unique. Cannot be updated.")),
        ("uid", "string", ("UID is the unique in time and space value for this object. "
                          "Populated by the system. Read-only.")),
        ("resourceVersion", "string", ("An opaque value that represents the internal version "
                                      "of this object, used for optimistic concurrency and "
                                      "watches. Populated by the system. Read-only.")),
        ("generation", "int64", ("A sequence number representing a specific generation of the "
                                "desired state. Populated by the system. Read-only.")),
        ("creationTimestamp", "time", ("CreationTimestamp is a timestamp representing the "
                                      "server time when this object was created. Read-only.")),
        ("deletionTimestamp", "time", ("DeletionTimestamp is RFC 3339 date and time at which "
                                      "this resource will be deleted. Read-only.")),
        ("deletionGracePeriodSeconds", "int64", ("Number of seconds allowed for this object to "
                                                "gracefully terminate. Read-only.")),
        ("labels", "{}string", ("Map of string keys and values that can be used to organize "
                               "and categorize (scope and select) objects.")),
        ("annotations", "{}string", ("Annotations is an unstructured key value map stored with "
                                    "a resource that may be set by external tools.")),
        ("ownerReferences", "[]meta.OwnerReference@uid", ("List of objects depended by this "
                                                         "object.")),
        ("finalizers", "[]string@", ("Must be empty before the object is deleted from the "
                                    "registry.")),
        ("managedFields", "[]meta.ManagedFieldsEntry", ("ManagedFields maps workflow-id and "
                                                       "version to the set of fields that are "
                                                       "managed by that workflow.")),
        ("selfLink", "string", ("Deprecated: selfLink is a legacy read-only field that is no "
                               "longer populated by the system.")),
    ]),
    "meta.ListMeta": ("ListMeta describes metadata that synthetic resources must have.", [
        ("continue", "string", ("continue may be set if the user set a limit on the number of "
                               "items returned.")),
        ("remainingItemCount", "int64", ("The number of subsequent items in the list which are "
                                        "not included in this list response.")),
        ("resourceVersion", "string", ("String that identifies the server's internal version of "
                                      "this object.")),
        ("selfLink", "string", "Deprecated: selfLink is a legacy read-only field."),
    ]),
    "meta.OwnerReference": (("OwnerReference contains enough information to let you identify "
                            "an owning object."), [
        ("apiVersion!", "string", "API version of the referent."),
        ("kind!", "string", "Kind of the referent."),
        ("name!", "string", "Name of the referent."),
        ("uid!", "string", "UID of the referent."),
        ("controller", "bool", "If true, this reference points to the managing controller."),
        ("blockOwnerDeletion", "bool", ("If true, the owner cannot be deleted from the "
                                       "key-value store until this reference is removed.")),
    ]),
    "meta.ManagedFieldsEntry": (("ManagedFieldsEntry is a workflow-id, a FieldSet and the group "
                                "version of the resource that the fieldset applies to."), [
        ("manager", "string", "Manager is an identifier of the workflow managing these fields."),
        ("operation", "string", ("Operation is the type of operation which lead to this "
                                "ManagedFieldsEntry being created: Apply or Update.")),
        ("apiVersion", "string", ("APIVersion defines the version of this resource that this "
                                 "field set applies to.")),
        ("time", "time", "Time is the timestamp of when the ManagedFields entry was added."),
        ("fieldsType", "string", ("FieldsType is the discriminator for the different fields "
                                 "format and version: FieldsV1.")),
        ("fieldsV1", "any", "FieldsV1 holds the first JSON version format."),
        ("subresource", "string", ("Subresource is the name of the subresource used to update "
                                  "that object.")),
    ]),
    "meta.LabelSelector": (("A label selector is a label query over a set of resources. An "
                           "empty label selector matches all objects."), [
        ("matchLabels", "{}string", "matchLabels is a map of {key,value} pairs."),
        ("matchExpressions", "[]meta.LabelSelectorRequirement", ("matchExpressions is a list "
                                                                "of label selector "
                                                                "requirements; they are ANDed.")),
    ]),
    "meta.LabelSelectorRequirement": (("A label selector requirement is a selector that "
                                      "contains values, a key, and an operator."), [
        ("key!", "string", "key is the label key that the selector applies to."),
        ("operator!", "string", ("operator represents a key's relationship to a set of values: "
                                "In, NotIn, Exists and DoesNotExist.")),
        ("values", "[]string", "values is an array of string values."),
    ]),
}

# The values a string field may take (published as `enum`, which `kubectl explain` lists).
ENUMS: dict[str, tuple[str, ...]] = {
    "apps.DeploymentStrategy.type": ("Recreate", "RollingUpdate"),
    "core.ServiceSpec.type": ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort"),
    "core.ServiceSpec.sessionAffinity": ("ClientIP", "None"),
    "core.ServiceSpec.externalTrafficPolicy": ("Cluster", "Local"),
    "core.ServiceSpec.internalTrafficPolicy": ("Cluster", "Local"),
    "core.ServiceSpec.ipFamilyPolicy": ("PreferDualStack", "RequireDualStack", "SingleStack"),
    "core.ServicePort.protocol": ("SCTP", "TCP", "UDP"),
    "core.ContainerPort.protocol": ("SCTP", "TCP", "UDP"),
    "core.Container.imagePullPolicy": ("Always", "IfNotPresent", "Never"),
    "core.Container.terminationMessagePolicy": ("FallbackToLogsOnError", "File"),
    "core.PodSpec.restartPolicy": ("Always", "Never", "OnFailure"),
    "core.PodSpec.dnsPolicy": ("ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"),
    "core.PodStatus.phase": ("Failed", "Pending", "Running", "Succeeded", "Unknown"),
    "core.PodStatus.qosClass": ("BestEffort", "Burstable", "Guaranteed"),
    "core.HTTPGetAction.scheme": ("HTTP", "HTTPS"),
    "discovery.EndpointSlice.addressType": ("FQDN", "IPv4", "IPv6"),
    "networking.HTTPIngressPath.pathType": ("Exact", "ImplementationSpecific", "Prefix"),
}

KINDS = {
    # kind -> (definition name, list definition name); the GVKs come from resources.RESOURCES.
    "Pod": "core.Pod", "Service": "core.Service", "ConfigMap": "core.ConfigMap",
    "Event": "core.Event", "Namespace": "core.Namespace", "Endpoints": "core.Endpoints",
    "Node": "core.Node", "Secret": "core.Secret", "Deployment": "apps.Deployment",
    "ReplicaSet": "apps.ReplicaSet", "EndpointSlice": "discovery.EndpointSlice",
    "Ingress": "networking.Ingress", "Lease": "coordination.Lease", "Scale": "autoscaling.Scale",
}


def list_definitions() -> dict[str, Definition]:
    """`PodList` … for every listed kind but Scale."""
    return {f"{name}List": _list(name) for kind, name in KINDS.items() if kind != "Scale"}


