"""Described types (see `apitypes`): Pod, PodSpec, Container and their status."""

from __future__ import annotations

from tui.drill.apitypes import Definition, condition, kind_object

# Pod spec fields the drill keeps but never interprets: described by name, free-form inside.
_OPAQUE_POD_FIELDS = (
    "affinity", "dnsConfig", "hostAliases@ip", "os", "readinessGates", "resourceClaims",
    "schedulingGates", "securityContext", "tolerations", "topologySpreadConstraints@topologyKey",
    "volumes@name", "ephemeralContainers@name", "imagePullSecrets@name", "overhead",
    "resources")
_OPAQUE_CONTAINER_FIELDS = (
    "envFrom", "lifecycle", "livenessProbe", "startupProbe", "resizePolicy", "securityContext",
    "volumeDevices@devicePath", "volumeMounts@mountPath")
_LISTS = {"hostAliases", "readinessGates", "resourceClaims", "schedulingGates", "tolerations",
          "topologySpreadConstraints", "volumes", "ephemeralContainers", "imagePullSecrets",
          "envFrom", "resizePolicy", "volumeDevices", "volumeMounts"}


def _opaque(entries: tuple[str, ...], owner: str) -> list[tuple[str, ...]]:
    fields = []
    for entry in entries:
        name, _, key = entry.partition("@")
        kind = ("[]any" + (f"@{key}" if key else "")) if name in _LISTS else "any"
        fields.append((name, kind, (f"{name} of the {owner} (kept as given; the drill does not "
                                   "simulate it).")))
    return fields


PODS: dict[str, Definition] = {
    "core.Pod": kind_object("Pod is a collection of containers that can run on a host.",
                            spec="core.PodSpec", status="core.PodStatus"),
    "core.PodSpec": ("PodSpec is a description of a pod.", [
        ("containers!", "[]core.Container@name", ("List of containers belonging to the pod. "
                                                 "Containers cannot currently be added or "
                                                 "removed. There must be at least one container "
                                                 "in a Pod. Cannot be updated.")),
        ("initContainers", "[]core.Container@name", ("List of initialization containers "
                                                    "belonging to the pod.")),
        ("restartPolicy", "string", ("Restart policy for all containers within the pod. One of "
                                    "Always, OnFailure, Never. Default to Always.")),
        ("terminationGracePeriodSeconds", "int64", ("Optional duration in seconds the pod needs "
                                                   "to terminate gracefully. Defaults to 30 "
                                                   "seconds.")),
        ("activeDeadlineSeconds", "int64", ("Optional duration in seconds the pod may be active "
                                           "on the node.")),
        ("dnsPolicy", "string", "Set DNS policy for the pod. Defaults to \"ClusterFirst\"."),
        ("nodeSelector", "{}string", ("NodeSelector is a selector which must be true for the pod "
                                     "to fit on a node.")),
        ("serviceAccountName", "string", ("ServiceAccountName is the name of the ServiceAccount "
                                         "to use to run this pod.")),
        ("serviceAccount", "string", ("DeprecatedServiceAccount is a deprecated alias for "
                                     "ServiceAccountName.")),
        ("automountServiceAccountToken", "bool", ("Indicates whether a service account token "
                                                 "should be automatically mounted.")),
        ("nodeName", "string", "NodeName indicates in which node this pod is scheduled."),
        ("hostNetwork", "bool", "Host networking requested for this pod."),
        ("hostPID", "bool", "Use the host's pid namespace."),
        ("hostIPC", "bool", "Use the host's ipc namespace."),
        ("shareProcessNamespace", "bool", ("Share a single process namespace between all of "
                                          "the containers in a pod.")),
        ("hostname", "string", "Specifies the hostname of the Pod."),
        ("subdomain", "string", ("If specified, the fully qualified Pod hostname will be "
                                "\"<hostname>.<subdomain>.<pod namespace>.svc.<cluster "
                                "domain>\".")),
        ("schedulerName", "string", ("If specified, the pod will be dispatched by specified "
                                    "scheduler.")),
        ("priorityClassName", "string", "If specified, indicates the pod's priority."),
        ("priority", "int32", "The priority value."),
        ("runtimeClassName", "string", "RuntimeClassName refers to a RuntimeClass object."),
        ("enableServiceLinks", "bool", ("EnableServiceLinks indicates whether information about "
                                       "services should be injected into pod's environment "
                                       "variables.")),
        ("preemptionPolicy", "string", ("PreemptionPolicy is the Policy for preempting pods "
                                       "with lower priority.")),
        ("setHostnameAsFQDN", "bool", ("If true the pod's hostname will be configured as the "
                                      "pod's FQDN.")),
        ("hostUsers", "bool", "Use the host's user namespace."),
        *_opaque(_OPAQUE_POD_FIELDS, "pod"),
    ]),
    "core.Container": ("A single application container that you want to run within a pod.", [
        ("name!", "string", ("Name of the container specified as a DNS_LABEL. Each container in "
                            "a pod must have a unique name (DNS_LABEL). Cannot be updated.")),
        ("image", "string", "Container image name."),
        ("imagePullPolicy", "string", ("Image pull policy. One of Always, Never, IfNotPresent. "
                                      "Defaults to Always if :latest tag is specified, or "
                                      "IfNotPresent otherwise.")),
        ("command", "[]string", "Entrypoint array. Not executed within a shell."),
        ("args", "[]string", "Arguments to the entrypoint."),
        ("workingDir", "string", "Container's working directory."),
        ("ports", "[]core.ContainerPort@containerPort", ("List of ports to expose from the "
                                                        "container.")),
        ("env", "[]core.EnvVar@name", ("List of environment variables to set in the container. "
                                      "Cannot be updated.")),
        ("resources", "core.ResourceRequirements", ("Compute Resources required by this "
                                                   "container.")),
        ("readinessProbe", "core.Probe", ("Periodic probe of container service readiness. "
                                         "Container will be removed from service endpoints if "
                                         "the probe fails.")),
        ("terminationMessagePath", "string", ("Path at which the file to which the container's "
                                             "termination message will be written is mounted.")),
        ("terminationMessagePolicy", "string", ("Indicate how the termination message should be "
                                               "populated. File or FallbackToLogsOnError.")),
        ("restartPolicy", "string", ("RestartPolicy defines the restart behavior of individual "
                                    "containers in a pod.")),
        ("stdin", "bool", "Whether this container should allocate a buffer for stdin."),
        ("stdinOnce", "bool", ("Whether the container runtime should close the stdin channel "
                              "after it has been opened by a single attach.")),
        ("tty", "bool", "Whether this container should allocate a TTY for itself."),
        *_opaque(_OPAQUE_CONTAINER_FIELDS, "container"),
    ]),
    "core.ContainerPort": ("ContainerPort represents a network port in a single container.", [
        ("containerPort!", "int32", "Number of port to expose on the pod's IP address."),
        ("name", "string", ("If specified, this must be an IANA_SVC_NAME and unique within the "
                           "pod.")),
        ("protocol", "string", ("Protocol for port. Must be UDP, TCP, or SCTP. Defaults to "
                               "\"TCP\".")),
        ("hostPort", "int32", "Number of port to expose on the host."),
        ("hostIP", "string", "What host IP to bind the external port to."),
    ]),
    "core.EnvVar": ("EnvVar represents an environment variable present in a Container.", [
        ("name!", "string", "Name of the environment variable."),
        ("value", "string", ("Variable references $(VAR_NAME) are expanded using the previously "
                            "defined environment variables in the container.")),
        ("valueFrom", "any", "Source for the environment variable's value."),
    ]),
    "core.ResourceRequirements": (("ResourceRequirements describes the compute resource "
                                  "requirements."), [
        ("limits", "{}quantity", ("Limits describes the maximum amount of compute resources "
                                 "allowed.")),
        ("requests", "{}quantity", ("Requests describes the minimum amount of compute resources "
                                   "required.")),
        ("claims", "[]any@name", ("Claims lists the names of resources, defined in "
                                 "spec.resourceClaims, that are used by this container.")),
    ]),
    "core.Probe": (("Probe describes a health check to be performed against a container to "
                   "determine whether it is alive or ready to receive traffic."), [
        ("httpGet", "core.HTTPGetAction", "HTTPGet specifies an HTTP GET request to perform."),
        ("exec", "any", "Exec specifies a command to execute in the container."),
        ("tcpSocket", "any", "TCPSocket specifies a connection to a TCP port."),
        ("grpc", "any", "GRPC specifies a GRPC HealthCheckRequest."),
        ("initialDelaySeconds", "int32", ("Number of seconds after the container has started "
                                         "before liveness probes are initiated.")),
        ("timeoutSeconds", "int32", ("Number of seconds after which the probe times out. "
                                    "Defaults to 1 second.")),
        ("periodSeconds", "int32", ("How often (in seconds) to perform the probe. Default to 10 "
                                   "seconds.")),
        ("successThreshold", "int32", ("Minimum consecutive successes for the probe to be "
                                      "considered successful after having failed.")),
        ("failureThreshold", "int32", ("Minimum consecutive failures for the probe to be "
                                      "considered failed after having succeeded. Defaults to "
                                      "3.")),
        ("terminationGracePeriodSeconds", "int64", ("Optional duration in seconds the pod needs "
                                                   "to terminate gracefully upon probe "
                                                   "failure.")),
    ]),
    "core.HTTPGetAction": ("HTTPGetAction describes an action based on HTTP Get requests.", [
        ("path", "string", "Path to access on the HTTP server."),
        ("port!", "intstr", "Name or number of the port to access on the container."),
        ("host", "string", "Host name to connect to, defaults to the pod IP."),
        ("scheme", "string", "Scheme to use for connecting to the host. Defaults to HTTP."),
        ("httpHeaders", "[]any", "Custom headers to set in the request."),
    ]),
    "core.PodStatus": ("PodStatus represents information about the status of a pod.", [
        ("phase", "string", ("The phase of a Pod is a simple, high-level summary of where the Pod "
                            "is in its lifecycle: Pending, Running, Succeeded, Failed, "
                            "Unknown.")),
        ("conditions", "[]core.PodCondition@type", "Current service state of pod."),
        ("message", "string", ("A human readable message indicating details about why the pod "
                              "is in this condition.")),
        ("reason", "string", ("A brief CamelCase message indicating details about why the pod "
                             "is in this state.")),
        ("hostIP", "string", ("hostIP holds the IP address of the host to which the pod is "
                             "assigned.")),
        ("hostIPs", "[]any@ip", "hostIPs holds the IP addresses allocated to the host."),
        ("podIP", "string", "podIP address allocated to the pod."),
        ("podIPs", "[]any@ip", "podIPs holds the IP addresses allocated to the pod."),
        ("startTime", "time", ("RFC 3339 date and time at which the object was acknowledged by "
                              "the Kubelet.")),
        ("containerStatuses", "[]any", "Statuses of containers in this pod."),
        ("initContainerStatuses", "[]any", "Statuses of init containers in this pod."),
        ("ephemeralContainerStatuses", "[]any", "Statuses for any ephemeral containers."),
        ("qosClass", "string", ("The Quality of Service (QOS) classification assigned to the "
                               "pod based on resource requirements.")),
        ("nominatedNodeName", "string", ("nominatedNodeName is set only when this pod preempts "
                                        "other pods on the node.")),
        ("observedGeneration", "int64", ("If set, this represents the .metadata.generation that "
                                        "the pod status was set based upon.")),
        ("resize", "string", "Status of resources resize desired for pod's containers."),
        ("resourceClaimStatuses", "[]any", "Status of resource claims."),
    ]),
    "core.PodCondition": condition("Pod"),
}
