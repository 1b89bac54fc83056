import type { InstanceCatalog, InstanceId, ManagedInstance, GroupId } from '../core/domain';

export interface InstanceFilter {
  /** Tag key/value that marks managed instances. */
  readonly tag?: { readonly key: string; readonly value: string };
  readonly instanceIds?: readonly InstanceId[];
  readonly groupIds?: readonly GroupId[];
  /**
   * The priority of a member without a valid `spotwise:priority` tag, per group: its policy's (loadFleet passes the
   * groups it resolved, those found by `group_tag` included). A group not named here: the highest priority (fail
   * closed).
   */
  readonly priorities?: ReadonlyMap<GroupId, number>;
}

/** EC2 instances: discovery, the type catalog, and the mutating calls spotwise makes. */
export interface InstanceGateway {
  describeInstances(filter: InstanceFilter): Promise<ManagedInstance[]>;
  /** The catalog for the given type names (cached by implementations). */
  describeInstanceTypes(names: readonly string[]): Promise<InstanceCatalog>;
  /** Changes the type of a *stopped* instance; implementations refuse a non-stopped one with InstanceNotStoppedError. */
  retypeStoppedInstance(id: InstanceId, instanceType: string): Promise<void>;
  startInstances(ids: readonly InstanceId[]): Promise<void>;
  stopInstances(ids: readonly InstanceId[], options?: { readonly hibernate?: boolean }): Promise<void>;
  terminateInstances(ids: readonly InstanceId[]): Promise<void>;
  tagInstances(ids: readonly InstanceId[], tags: Readonly<Record<string, string>>): Promise<void>;
  /** Deletes the tags with these keys, whatever their values (EC2 DeleteTags; a tag the instance lacks is no error). */
  untagInstances(ids: readonly InstanceId[], keys: readonly string[]): Promise<void>;
}
