"""Described types (see `apitypes`): Deployment, ReplicaSet, Scale, Pod and its parts."""

from __future__ import annotations

from tui.drill.apitypes import Definition, condition, kind_object

_REPLICAS = ("Number of desired pods. This is a pointer to distinguish between explicit zero "
             "and not specified. Defaults to 1.")
_SELECTOR = ("Label selector for pods. Existing ReplicaSets whose pods are selected by this will "
             "be the ones affected by this deployment. It must match the pod template's labels.")
_TEMPLATE = ("Template describes the pods that will be created. The only allowed "
             "template.spec.restartPolicy value is \"Always\".")

WORKLOADS: dict[str, Definition] = {
    "apps.Deployment": kind_object("Deployment enables declarative updates for Pods and "
                                   "ReplicaSets.", spec="apps.DeploymentSpec",
                                   status="apps.DeploymentStatus"),
    "apps.DeploymentSpec": (("DeploymentSpec is the specification of the desired behavior of "
                            "the Deployment."), [
        ("replicas", "int32", _REPLICAS),
        ("selector!", "meta.LabelSelector", _SELECTOR),
        ("template!", "core.PodTemplateSpec", _TEMPLATE),
        ("strategy", "apps.DeploymentStrategy", ("The deployment strategy to use to replace "
                                                "existing pods with new ones."), "retainKeys"),
        ("minReadySeconds", "int32", ("Minimum number of seconds for which a newly created pod "
                                     "should be ready without any of its container crashing, "
                                     "for it to be considered available. Defaults to 0.")),
        ("revisionHistoryLimit", "int32", ("The number of old ReplicaSets to retain to allow "
                                          "rollback. Defaults to 10.")),
        ("paused", "bool", "Indicates that the deployment is paused."),
        ("progressDeadlineSeconds", "int32", ("The maximum time in seconds for a deployment to "
                                             "make progress before it is considered to be "
                                             "failed. Defaults to 600s.")),
    ]),
    "apps.DeploymentStrategy": (("DeploymentStrategy describes how to replace existing pods "
                                "with new ones."), [
        ("type", "string", ("Type of deployment. Can be \"Recreate\" or \"RollingUpdate\". "
                           "Default is RollingUpdate.\n\nPossible enum values:\n - "
                           "`\"Recreate\"` Kill all existing pods before creating new ones.\n"
                           " - `\"RollingUpdate\"` Replace the old ReplicaSets by new one "
                           "using rolling update i.e gradually scale down the old ReplicaSets "
                           "and scale up the new one.")),
        ("rollingUpdate", "apps.RollingUpdateDeployment", ("Rolling update config params. "
                                                          "Present only if DeploymentStrategyType"
                                                          " = RollingUpdate.")),
    ]),
    "apps.RollingUpdateDeployment": ("Spec to control the desired behavior of rolling update.", [
        ("maxUnavailable", "intstr", ("The maximum number of pods that can be unavailable during "
                                     "the update. Value can be an absolute number (ex: 5) or a "
                                     "percentage of desired pods (ex: 10%). Absolute number is "
                                     "calculated from percentage by rounding down. Defaults to "
                                     "25%.")),
        ("maxSurge", "intstr", ("The maximum number of pods that can be scheduled above the "
                               "desired number of pods. Value can be an absolute number (ex: 5) "
                               "or a percentage of desired pods (ex: 10%). Absolute number is "
                               "calculated from percentage by rounding up. Defaults to 25%.")),
    ]),
    "apps.DeploymentStatus": (("DeploymentStatus is the most recently observed status of the "
                              "Deployment."), [
        ("observedGeneration", "int64", "The generation observed by the deployment controller."),
        ("replicas", "int32", ("Total number of non-terminated pods targeted by this "
                              "deployment (their labels match the selector).")),
        ("updatedReplicas", "int32", ("Total number of non-terminated pods targeted by this "
                                     "deployment that have the desired template spec.")),
        ("readyReplicas", "int32", ("Total number of non-terminated pods targeted by this "
                                   "Deployment with a Ready Condition.")),
        ("availableReplicas", "int32", ("Total number of available non-terminated pods (ready "
                                       "for at least minReadySeconds).")),
        ("unavailableReplicas", "int32", ("Total number of unavailable pods targeted by this "
                                         "deployment.")),
        ("terminatingReplicas", "int32", ("Total number of terminating pods targeted by this "
                                         "deployment.")),
        ("conditions", "[]apps.DeploymentCondition@type", ("Represents the latest available "
                                                          "observations of a deployment's "
                                                          "current state.")),
        ("collisionCount", "int32", "Count of hash collisions for the Deployment."),
    ]),
    "apps.DeploymentCondition": condition("Deployment"),
    "apps.ReplicaSet": kind_object("ReplicaSet ensures that a specified number of pod replicas "
                                   "are running at any given time.",
                                   spec="apps.ReplicaSetSpec", status="apps.ReplicaSetStatus"),
    "apps.ReplicaSetSpec": ("ReplicaSetSpec is the specification of a ReplicaSet.", [
        ("replicas", "int32", "Replicas is the number of desired pods. Defaults to 1."),
        ("minReadySeconds", "int32", ("Minimum number of seconds for which a newly created pod "
                                     "should be ready to be considered available.")),
        ("selector!", "meta.LabelSelector", ("Selector is a label query over pods that should "
                                            "match the replica count.")),
        ("template", "core.PodTemplateSpec", ("Template is the object that describes the pod "
                                             "that will be created if insufficient replicas are "
                                             "detected.")),
    ]),
    "apps.ReplicaSetStatus": (("ReplicaSetStatus represents the current status of a "
                              "ReplicaSet."), [
        ("replicas!", "int32", ("Replicas is the most recently observed number of non-terminating"
                               " pods.")),
        ("fullyLabeledReplicas", "int32", ("The number of non-terminating pods that have labels "
                                          "matching the labels of the pod template.")),
        ("readyReplicas", "int32", ("The number of non-terminating pods targeted by this "
                                   "ReplicaSet with a Ready Condition.")),
        ("availableReplicas", "int32", ("The number of available non-terminating pods (ready for "
                                       "at least minReadySeconds) for this replica set.")),
        ("terminatingReplicas", "int32", "The number of terminating pods for this replica set."),
        ("observedGeneration", "int64", ("ObservedGeneration reflects the generation of the most "
                                        "recently observed ReplicaSet.")),
        ("conditions", "[]apps.ReplicaSetCondition@type", ("Represents the latest available "
                                                          "observations of a replica set's "
                                                          "current state.")),
    ]),
    "apps.ReplicaSetCondition": condition("ReplicaSet"),
    "autoscaling.Scale": kind_object("Scale represents a scaling request for a resource.",
                                     spec="autoscaling.ScaleSpec",
                                     status="autoscaling.ScaleStatus"),
    "autoscaling.ScaleSpec": ("ScaleSpec describes the attributes of a scale subresource.", [
        ("replicas", "int32", ("replicas is the desired number of instances for the scaled "
                              "object.")),
    ]),
    "autoscaling.ScaleStatus": (("ScaleStatus represents the current status of a scale "
                                "subresource."), [
        ("replicas!", "int32", ("replicas is the actual number of observed instances of the "
                               "scaled object.")),
        ("selector", "string", ("selector is the label query over pods that should match the "
                               "replicas count.")),
    ]),
    "core.PodTemplateSpec": (("PodTemplateSpec describes the data a pod should have when "
                             "created from a template"), [
        ("metadata", "meta.ObjectMeta", "Standard object's metadata."),
        ("spec", "core.PodSpec", "Specification of the desired behavior of the pod."),
    ]),
}
