"""Described types (see `apitypes`): Services and their endpoints, Ingress, the cluster kinds
(Namespace, Node, Lease, Event) and the data kinds (ConfigMap, Secret)."""

from __future__ import annotations

from tui.drill.apitypes import Definition, condition, kind_object

_TARGET_REF = ("Reference to object providing the endpoint.", "core.ObjectReference")

NETWORK: dict[str, Definition] = {
    "core.Service": kind_object("Service is a named abstraction of software service (for "
                                "example, mysql) consisting of local port (for example 3306) "
                                "that the proxy listens on, and the selector that determines "
                                "which pods will answer requests sent through the proxy.",
                                spec="core.ServiceSpec", status="core.ServiceStatus"),
    "core.ServiceSpec": (("ServiceSpec describes the attributes that a user creates on a "
                         "service."), [
        ("ports", "[]core.ServicePort@port", ("The list of ports that are exposed by this "
                                             "service.")),
        ("selector", "{}string", ("Route service traffic to pods with label keys and values "
                                 "matching this selector.")),
        ("type", "string", ("type determines how the Service is exposed. Defaults to "
                           "ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and "
                           "LoadBalancer.")),
        ("clusterIP", "string", ("clusterIP is the IP address of the service and is usually "
                                "assigned randomly.")),
        ("clusterIPs", "[]string", ("ClusterIPs is a list of IP addresses assigned to this "
                                   "service.")),
        ("externalIPs", "[]string", ("externalIPs is a list of IP addresses for which nodes in "
                                    "the cluster will also accept traffic for this service.")),
        ("sessionAffinity", "string", "Supports \"ClientIP\" and \"None\". Defaults to None."),
        ("sessionAffinityConfig", "any", ("sessionAffinityConfig contains the configurations "
                                         "of session affinity.")),
        ("loadBalancerIP", "string", "Deprecated: Only applies to Service Type: LoadBalancer."),
        ("loadBalancerSourceRanges", "[]string", ("Source ranges a cloud-provider load-balancer "
                                                 "restricts traffic to.")),
        ("loadBalancerClass", "string", ("loadBalancerClass is the class of the load balancer "
                                        "implementation this Service belongs to.")),
        ("externalName", "string", ("externalName is the external reference that discovery "
                                   "mechanisms will return as an alias for this service.")),
        ("externalTrafficPolicy", "string", ("externalTrafficPolicy describes how nodes "
                                            "distribute service traffic they receive on "
                                            "externally-facing addresses.")),
        ("internalTrafficPolicy", "string", ("InternalTrafficPolicy describes how nodes "
                                            "distribute service traffic they receive on the "
                                            "ClusterIP.")),
        ("healthCheckNodePort", "int32", ("healthCheckNodePort specifies the healthcheck "
                                         "nodePort for the service.")),
        ("publishNotReadyAddresses", "bool", ("publishNotReadyAddresses indicates that any agent "
                                             "which deals with endpoints for this Service "
                                             "should disregard any indications of "
                                             "ready/not-ready.")),
        ("ipFamilies", "[]string", ("IPFamilies is a list of IP families (e.g. IPv4, IPv6) "
                                   "assigned to this service.")),
        ("ipFamilyPolicy", "string", ("IPFamilyPolicy represents the dual-stack-ness requested "
                                     "or required by this Service.")),
        ("allocateLoadBalancerNodePorts", "bool", ("Whether NodePorts will be automatically "
                                                  "allocated for services with type "
                                                  "LoadBalancer.")),
        ("trafficDistribution", "string", ("TrafficDistribution offers a way to express "
                                          "preferences for how traffic is distributed to "
                                          "Service endpoints.")),
    ]),
    "core.ServicePort": ("ServicePort contains information on service's port.", [
        ("name", "string", "The name of this port within the service."),
        ("protocol", "string", ("The IP protocol for this port. Supports \"TCP\", \"UDP\", and "
                               "\"SCTP\". Default is TCP.")),
        ("appProtocol", "string", "The application protocol for this port."),
        ("port!", "int32", "The port that will be exposed by this service."),
        ("targetPort", "intstr", ("Number or name of the port to access on the pods targeted by "
                                 "the service.")),
        ("nodePort", "int32", ("The port on each node on which this service is exposed when "
                              "type is NodePort or LoadBalancer.")),
    ]),
    "core.ServiceStatus": ("ServiceStatus represents the current status of a service.", [
        ("loadBalancer", "any", ("LoadBalancer contains the current status of the "
                                "load-balancer, if one is present.")),
        ("conditions", "[]any@type", "Current service state."),
    ]),
    "core.ObjectReference": (("ObjectReference contains enough information to let you inspect "
                             "or modify the referred object."), [
        ("kind", "string", "Kind of the referent."), ("namespace", "string", ("Namespace of the "
                                                                             "referent.")),
        ("name", "string", "Name of the referent."), ("uid", "string", "UID of the referent."),
        ("apiVersion", "string", "API version of the referent."),
        ("resourceVersion", "string", ("Specific resourceVersion to which this reference is "
                                      "made, if any.")),
        ("fieldPath", "string", ("If referring to a piece of an object instead of an entire "
                                "object, this string should contain a valid JSON/Go field "
                                "access statement.")),
    ]),
    "core.Endpoints": kind_object(
        "Endpoints is a collection of endpoints that implement the actual service.",
        ("subsets", "[]core.EndpointSubset", ("The set of all endpoints is the union of all "
                                             "subsets."))),
    "core.EndpointSubset": (("EndpointSubset is a group of addresses with a common set of "
                            "ports."), [
        ("addresses", "[]core.EndpointAddress", ("IP addresses which offer the related ports "
                                                "that are marked as ready.")),
        ("notReadyAddresses", "[]core.EndpointAddress", ("IP addresses which offer the related "
                                                        "ports but are not currently marked as "
                                                        "ready.")),
        ("ports", "[]core.EndpointPort", "Port numbers available on the related IP addresses."),
    ]),
    "core.EndpointAddress": ("EndpointAddress is a tuple that describes single IP address.", [
        ("ip!", "string", "The IP of this endpoint."),
        ("hostname", "string", "The Hostname of this endpoint"),
        ("nodeName", "string", "Optional: Node hosting this endpoint."),
        ("targetRef", _TARGET_REF[1], _TARGET_REF[0]),
    ]),
    "core.EndpointPort": ("EndpointPort is a tuple that describes a single port.", [
        ("name", "string", "The name of this port."), ("port!", "int32", ("The port number of "
                                                                         "the endpoint.")),
        ("protocol", "string", "The IP protocol for this port. Default is TCP."),
        ("appProtocol", "string", "The application protocol for this port."),
    ]),
    "discovery.EndpointSlice": kind_object(
        "EndpointSlice represents a subset of the endpoints that implement a service.",
        ("addressType!", "string", ("addressType specifies the type of address carried by this "
                                   "EndpointSlice: IPv4, IPv6 or FQDN.")),
        ("endpoints!", "[]discovery.Endpoint", ("endpoints is a list of unique endpoints in this "
                                               "slice. Each slice may include a maximum of "
                                               "1000 endpoints.")),
        ("ports", "[]discovery.EndpointPort", ("ports specifies the list of network ports "
                                              "exposed by each endpoint in this slice."))),
    "discovery.Endpoint": (("Endpoint represents a single logical \"backend\" implementing a "
                           "service."), [
        ("addresses!", "[]string", "addresses of this endpoint."),
        ("conditions", "discovery.EndpointConditions", ("conditions contains information about "
                                                       "the current status of the endpoint.")),
        ("hostname", "string", "hostname of this endpoint."),
        ("nodeName", "string", ("nodeName represents the name of the Node hosting this "
                               "endpoint.")),
        ("zone", "string", "zone is the name of the Zone this endpoint exists in."),
        ("hints", "any", ("hints contains information associated with how an endpoint should "
                         "be consumed.")),
        ("targetRef", _TARGET_REF[1], _TARGET_REF[0]),
    ]),
    "discovery.EndpointConditions": (("EndpointConditions represents the current condition of "
                                     "an endpoint."), [
        ("ready", "bool", "ready indicates that this endpoint is ready to receive traffic."),
        ("serving", "bool", ("serving indicates that this endpoint is able to receive traffic, "
                            "ignoring whether it is terminating.")),
        ("terminating", "bool", "terminating indicates that this endpoint is terminating."),
    ]),
    "discovery.EndpointPort": ("EndpointPort represents a Port used by an EndpointSlice", [
        ("name", "string", "name represents the name of this port."),
        ("port", "int32", "port represents the port number of the endpoint."),
        ("protocol", "string", "protocol represents the IP protocol for this port."),
        ("appProtocol", "string", "The application protocol for this port."),
    ]),
    "networking.Ingress": kind_object("Ingress is a collection of rules that allow inbound "
                                      "connections to reach the endpoints defined by a "
                                      "backend.", spec="networking.IngressSpec",
                                      status="networking.IngressStatus"),
    "networking.IngressSpec": ("IngressSpec describes the Ingress the user wishes to exist.", [
        ("ingressClassName", "string", ("ingressClassName is the name of an IngressClass "
                                       "cluster resource.")),
        ("defaultBackend", "networking.IngressBackend", ("defaultBackend is the backend that "
                                                        "should handle requests that don't "
                                                        "match any rule.")),
        ("rules", "[]networking.IngressRule", ("rules is a list of host rules used to configure "
                                              "the Ingress.")),
        ("tls", "[]any", "tls represents the TLS configuration."),
    ]),
    "networking.IngressRule": (("IngressRule represents the rules mapping the paths under a "
                               "specified host to the related backend services."), [
        ("host", "string", "host is the fully qualified domain name of a network host."),
        ("http", "networking.HTTPIngressRuleValue", "HTTP rules of the host."),
    ]),
    "networking.HTTPIngressRuleValue": (("HTTPIngressRuleValue is a list of http selectors "
                                        "pointing to backends."), [
        ("paths!", "[]networking.HTTPIngressPath", ("paths is a collection of paths that map "
                                                   "requests to backends.")),
    ]),
    "networking.HTTPIngressPath": ("HTTPIngressPath associates a path with a backend.", [
        ("path", "string", "path is matched against the path of an incoming request."),
        ("pathType!", "string", ("pathType determines the interpretation of the path matching: "
                                "Exact, Prefix or ImplementationSpecific.")),
        ("backend!", "networking.IngressBackend", ("backend defines the referenced service "
                                                  "endpoint to which the traffic will be "
                                                  "forwarded to.")),
    ]),
    "networking.IngressBackend": (("IngressBackend describes all endpoints for a given service "
                                  "and port."), [
        ("service", "networking.IngressServiceBackend", ("service references a service as a "
                                                        "backend.")),
        ("resource", "any", ("resource is an ObjectRef to another Kubernetes resource in the "
                            "namespace of the Ingress object.")),
    ]),
    "networking.IngressServiceBackend": (("IngressServiceBackend references a Kubernetes "
                                         "Service as a Backend."), [
        ("name!", "string", "name is the referenced service."),
        ("port", "networking.ServiceBackendPort", "port of the referenced service."),
    ]),
    "networking.ServiceBackendPort": (("ServiceBackendPort is the service port being "
                                      "referenced."), [
        ("name", "string", "name is the name of the port on the Service."),
        ("number", "int32", "number is the numerical port number (e.g. 80) on the Service."),
    ]),
    "networking.IngressStatus": ("IngressStatus describe the current state of the Ingress.", [
        ("loadBalancer", "any", ("loadBalancer contains the current status of the "
                                "load-balancer.")),
    ]),
    "core.ConfigMap": kind_object(
        "ConfigMap holds configuration data for pods to consume.",
        ("data", "{}string", "Data contains the configuration data."),
        ("binaryData", "{}bytes", "BinaryData contains the binary data."),
        ("immutable", "bool", ("Immutable, if set to true, ensures that data stored in the "
                              "ConfigMap cannot be updated."))),
    "core.Secret": kind_object(
        "Secret holds secret data of a certain type.",
        ("data", "{}bytes", "Data contains the secret data, base64 encoded."),
        ("stringData", "{}string", ("stringData allows specifying non-binary secret data in "
                                   "string form. It is write-only.")),
        ("type", "string", "Used to facilitate programmatic handling of secret data."),
        ("immutable", "bool", ("Immutable, if set to true, ensures that data stored in the "
                              "Secret cannot be updated."))),
    "core.Namespace": kind_object("Namespace provides a scope for Names.",
                                  spec="core.NamespaceSpec", status="core.NamespaceStatus"),
    "core.NamespaceSpec": ("NamespaceSpec describes the attributes on a Namespace.", [
        ("finalizers", "[]string", ("Finalizers is an opaque list of values that must be empty "
                                   "to permanently remove object from storage.")),
    ]),
    "core.NamespaceStatus": (("NamespaceStatus is information about the current status of a "
                             "Namespace."), [
        ("phase", "string", ("Phase is the current lifecycle phase of the namespace: Active or "
                            "Terminating.")),
        ("conditions", "[]any@type", ("Represents the latest available observations of a "
                                     "namespace's current state.")),
    ]),
    "core.Node": kind_object("Node is a worker node in Kubernetes.", spec="core.NodeSpec",
                             status="core.NodeStatus"),
    "core.NodeSpec": ("NodeSpec describes the attributes that a node is created with.", [
        ("podCIDR", "string", "PodCIDR represents the pod IP range assigned to the node."),
        ("podCIDRs", "[]string@", ("podCIDRs represents the IP ranges assigned to the node for "
                                  "usage by Pods on that node.")),
        ("providerID", "string", ("ID of the node assigned by the cloud provider in the format: "
                                 "<ProviderName>://<ProviderSpecificNodeID>")),
        ("unschedulable", "bool", ("Unschedulable controls node schedulability of new pods. By "
                                  "default, node is schedulable.")),
        ("taints", "[]any", "If specified, the node's taints."),
        ("configSource", "any", ("Deprecated: Previously used to specify the source of the "
                                "node's configuration.")),
        ("externalID", "string", "Deprecated. Not all kubelets will set this field."),
    ]),
    "core.NodeStatus": ("NodeStatus is information about the current status of a node.", [
        ("capacity", "{}quantity", "Capacity represents the total resources of a node."),
        ("allocatable", "{}quantity", ("Allocatable represents the resources of a node that are "
                                      "available for scheduling.")),
        ("conditions", "[]core.NodeCondition@type", ("Conditions is an array of current observed "
                                                    "node conditions.")),
        ("addresses", "[]any@type", "List of addresses reachable to the node."),
        ("daemonEndpoints", "any", "Endpoints of daemons running on the Node."),
        ("nodeInfo", "any", "Set of ids/uuids to uniquely identify the node."),
        ("images", "[]any", "List of container images on this node"),
        ("phase", "string", "NodePhase is the recently observed lifecycle phase of the node."),
        ("volumesInUse", "[]string", ("List of attachable volumes in use (mounted) by the "
                                     "node.")),
        ("volumesAttached", "[]any", "List of volumes that are attached to the node."),
        ("config", "any", ("Status of the config assigned to the node via the dynamic Kubelet "
                          "config feature.")),
        ("runtimeHandlers", "[]any", "The available runtime handlers."),
        ("features", "any", ("Features describes the set of features implemented by the CRI "
                            "implementation.")),
    ]),
    "core.NodeCondition": condition("Node"),
    "coordination.Lease": kind_object("Lease defines a lease concept.",
                                      spec="coordination.LeaseSpec"),
    "coordination.LeaseSpec": ("LeaseSpec is a specification of a Lease.", [
        ("holderIdentity", "string", ("holderIdentity contains the identity of the holder of a "
                                     "current lease.")),
        ("leaseDurationSeconds", "int32", ("leaseDurationSeconds is a duration that candidates "
                                          "for a lease need to wait to force acquire it.")),
        ("acquireTime", "microtime", ("acquireTime is a time when the current lease was "
                                  "acquired.")),
        ("renewTime", "microtime", ("renewTime is a time when the current holder of a lease has "
                                "last updated the lease.")),
        ("leaseTransitions", "int32", ("leaseTransitions is the number of transitions of a lease "
                                      "between holders.")),
        ("strategy", "string", ("Strategy indicates the strategy for picking the leader for "
                               "coordinated leader election.")),
        ("preferredHolder", "string", ("PreferredHolder signals to a lease holder that the lease "
                                      "has a more optimal holder and should be given up.")),
    ]),
    "core.Event": kind_object(
        "Event is a report of an event somewhere in the cluster.",
        ("involvedObject!", "core.ObjectReference", "The object that this event is about."),
        ("reason", "string", ("This should be a short, machine understandable string that gives "
                             "the reason for the transition into the object's current status.")),
        ("message", "string", "A human-readable description of the status of this operation."),
        ("source", "any", "The component reporting this event."),
        ("firstTimestamp", "time", "The time at which the event was first recorded."),
        ("lastTimestamp", "time", ("The time at which the most recent occurrence of this event "
                                  "was recorded.")),
        ("count", "int32", "The number of times this event has occurred."),
        ("type", "string", "Type of this event (Normal, Warning)."),
        ("eventTime", "microtime", "Time when this Event was first observed."),
        ("series", "any", "Data about the Event series this event represents."),
        ("action", "string", "What action was taken/failed regarding to the Regarding object."),
        ("related", "any", "Optional secondary object for more complex actions."),
        ("reportingComponent", "string", "Name of the controller that emitted this Event."),
        ("reportingInstance", "string", "ID of the controller instance.")),
}
