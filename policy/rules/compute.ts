/** Rules for Compute Engine VMs: they stop by themselves, and SSH goes through IAM only. */
import { forType, T, type Props, type Rule } from "./rule";

export const COMPUTE_RULES: Rule[] = [
  {
    name: "gpu-vm-terminates-on-maintenance",
    level: "mandatory",
    why: "VMs with GPUs cannot live-migrate; without TERMINATE Google refuses to create them.",
    check: forType(T.instance, (r) => {
      const gpus = (Array.isArray(r.props.guestAccelerators) ? r.props.guestAccelerators : []).filter((g: Props) => Number(g.count) > 0);
      const bundled = /^(g2|a2|a3|g4)-/.test(String(r.props.machineType));
      const onHost = (r.props.scheduling as Props | undefined)?.onHostMaintenance;
      return (gpus.length || bundled) && onHost !== "TERMINATE" ? `VM ${r.name} has GPUs and must set scheduling.onHostMaintenance: "TERMINATE"` : undefined;
    }),
  },
  {
    name: "vm-max-run-duration",
    level: "mandatory",
    why: "A training VM that is forgotten keeps billing; a run-time limit stops it.",
    check: forType(T.instance, (r) => {
      const s = (r.props.scheduling ?? {}) as Props;
      return !s.maxRunDuration || !s.instanceTerminationAction
        ? `VM ${r.name} must set scheduling.maxRunDuration and an instanceTerminationAction (STOP), so it stops by itself`
        : undefined;
    }),
  },
  {
    name: "vm-os-login",
    level: "mandatory",
    why: "OS Login ties SSH access to IAM, so removing a person removes their access.",
    reference: "CIS 4.4, Checkov CKV_GCP_34",
    check: forType(T.instance, (r) => String((r.props.metadata as Props | undefined)?.["enable-oslogin"]).toUpperCase() !== "TRUE" ? `VM ${r.name} must set metadata enable-oslogin: "TRUE"` : undefined),
  },
  {
    name: "vm-no-project-ssh-keys",
    level: "mandatory",
    why: "Project-wide SSH keys open every VM of the project to whoever holds one.",
    reference: "CIS 4.3, Checkov CKV_GCP_32",
    check: forType(T.instance, (r) => String((r.props.metadata as Props | undefined)?.["block-project-ssh-keys"]).toUpperCase() !== "TRUE" ? `VM ${r.name} must set metadata block-project-ssh-keys: "TRUE"` : undefined),
  },
  {
    name: "vm-no-serial-port",
    level: "mandatory",
    why: "The interactive serial console bypasses the network controls of the VM.",
    reference: "CIS 4.5, Checkov CKV_GCP_35",
    check: forType(T.instance, (r) => ["TRUE", "1"].includes(String((r.props.metadata as Props | undefined)?.["serial-port-enable"]).toUpperCase()) ? `VM ${r.name} must not set serial-port-enable` : undefined),
  },
  {
    name: "vm-shielded",
    level: "advisory",
    why: "Shielded VM (vTPM, integrity monitoring; Secure Boot where the drivers allow) detects tampered boot images.",
    reference: "CIS 4.8, Checkov CKV_GCP_39",
    check: forType(T.instance, (r) => {
      const s = (r.props.shieldedInstanceConfig ?? {}) as Props;
      return s.enableVtpm === true && s.enableIntegrityMonitoring === true ? undefined : `VM ${r.name} should set shieldedInstanceConfig with enableVtpm and enableIntegrityMonitoring`;
    }),
  },
];
