/**
 * Reads a PyTorch state dict saved in the legacy (pre-1.6, non-zip) `torch.save` format, in TypeScript.
 *
 * Layout, as written by pytorch/pytorch torch/serialization.py `_legacy_save` (`_save` before torch 1.6) and read
 * back by `_legacy_load`:
 *
 *   1. pickle of MAGIC_NUMBER 0x1950a86a20f9469cfc6c (a 10-byte LONG1: 80 02 8a 0a <10 bytes LE> 2e)
 *   2. pickle of PROTOCOL_VERSION 1001
 *   3. pickle of sys_info: {protocol_version, little_endian, type_sizes}
 *   4. pickle (protocol 2) of the object: here a collections.OrderedDict name → tensor, where each tensor is
 *      torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks)
 *      and each storage a persistent id ('storage', torch.<Type>Storage, key, location, numel, view_metadata)
 *   5. pickle of the list of storage keys (`sorted(serialized_storages.keys())`), in the order their data follows
 *   6. per key: int64 little-endian element count, then that many raw little-endian elements
 *      (torch/csrc/generic/serialization.cpp `THPStorage_(writeFileRaw)`)
 *
 * The pickles are read with `pickleparser` (MIT). Nothing is executed: only the globals listed in
 * {@link ALLOWED_GLOBALS} resolve, to plain data; any other global in the file is an error.
 */
import { readFileSync } from 'node:fs';
import pickleparser from 'pickleparser';

const { BufferReader, NameRegistry, Parser } = pickleparser;

/**
 * The first 15 bytes of every legacy file: pickle protocol 2 (`80 02`), LONG1 of 10 bytes (`8a 0a`) holding
 * MAGIC_NUMBER 0x1950a86a20f9469cfc6c little-endian, STOP (`2e`) (torch/serialization.py `MAGIC_NUMBER`).
 * Checked by hand: pickleparser refuses integers wider than 8 bytes.
 */
export const LEGACY_MAGIC_PICKLE = Uint8Array.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);
/** torch/serialization.py `PROTOCOL_VERSION`: the only version `_legacy_load` accepts. */
export const LEGACY_PROTOCOL_VERSION = 1001;

/** Element types of the storage classes legacy files name (torch/_utils.py `_element_size`). */
const STORAGE_TYPES = {
  FloatStorage: { dtype: 'float32', bytes: 4 },
  LongStorage: { dtype: 'int64', bytes: 8 },
} as const;
type StorageTypeName = keyof typeof STORAGE_TYPES;

export type PthTensor =
  | { dtype: 'float32'; shape: number[]; data: Float32Array }
  | { dtype: 'int64'; shape: number[]; data: BigInt64Array };

/** A state dict in file order (Python's OrderedDict keeps insertion order, and so does Map). */
export type StateDict = Map<string, PthTensor>;

/** A storage named by a persistent id; its bytes come after the pickles. */
interface StorageRef {
  key: string;
  type: StorageTypeName;
  numel: number;
}

/** A tensor as the pickle describes it, before its storage's data is read. */
class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}

const isIntegerArray = (value: unknown): value is number[] => Array.isArray(value) && value.every((v) => Number.isSafeInteger(v) && v >= 0);

/**
 * The globals a state-dict pickle may name. collections.OrderedDict() becomes a Map (its `_metadata`
 * attribute, set by BUILD, is dropped: it only records module versions for load_state_dict).
 */
const ALLOWED_GLOBALS = ['collections.OrderedDict', 'torch._utils._rebuild_tensor_v2', ...Object.keys(STORAGE_TYPES).map((t) => `torch.${t}`)];

/**
 * The name registry for one file, and the storage classes it hands out: GLOBAL pushes the resolved value
 * itself (it is only ever used as a marker inside persistent ids, never called), so each storage class is a
 * distinct function recognised by identity.
 */
function globals(where: string): { registry: InstanceType<typeof NameRegistry>; storageClasses: Map<unknown, StorageTypeName> } {
  const registry = new (class extends NameRegistry {
    override onMissingName(module: string, name: string): never {
      throw new Error(`${where}: unsupported global ${module}.${name} in the pickle; expected one of ${ALLOWED_GLOBALS.join(', ')}`);
    }
  })();
  registry.register('collections', 'OrderedDict', () => new Map());
  // torch/_utils.py _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]).
  registry.register('torch._utils', '_rebuild_tensor_v2', (storage: unknown, offset: unknown, size: unknown, stride: unknown) => {
    if (!(typeof storage === 'object' && storage !== null && 'key' in storage)) throw new Error(`${where}: _rebuild_tensor_v2: expected a storage, got ${String(storage)}`);
    if (!Number.isSafeInteger(offset) || (offset as number) < 0) throw new Error(`${where}: _rebuild_tensor_v2: expected a storage offset ≥ 0, got ${String(offset)}`);
    if (!isIntegerArray(size) || !isIntegerArray(stride) || size.length !== stride.length) {
      throw new Error(`${where}: _rebuild_tensor_v2: expected size and stride tuples of equal length, got ${JSON.stringify(size)} and ${JSON.stringify(stride)}`);
    }
    return new TensorRef(storage as StorageRef, offset as number, size, stride);
  });
  const storageClasses = new Map<unknown, StorageTypeName>();
  for (const name of Object.keys(STORAGE_TYPES) as StorageTypeName[]) {
    const marker = () => {
      throw new Error(`${where}: torch.${name} called in the pickle; expected it only inside a storage persistent id`);
    };
    storageClasses.set(marker, name);
    registry.register('torch', name, marker);
  }
  return { registry, storageClasses };
}

/** Row-major (C-contiguous) strides of `shape`, in elements. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let step = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = step;
    step *= shape[i]!;
  }
  return strides;
}

/** PyTorch's is_contiguous (c10/core/TensorImpl.cpp compute_contiguous): empty tensors are, and size-1 dims' strides do not matter. */
function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  const expected = contiguousStrides(shape);
  return shape.includes(0) || shape.every((size, i) => size === 1 || stride[i] === expected[i]);
}

/**
 * Parses a legacy `.pth` holding a state dict. `where` names the file in errors. Returns name → tensor in
 * file order, names as saved (see {@link stripDataParallelPrefix}).
 */
export function parseLegacyPth(bytes: Uint8Array, where: string): StateDict {
  const head = bytes.subarray(0, LEGACY_MAGIC_PICKLE.length);
  if (head.length !== LEGACY_MAGIC_PICKLE.length || head.some((b, i) => b !== LEGACY_MAGIC_PICKLE[i])) {
    const hex = (a: Uint8Array) => Buffer.from(a).toString('hex').replace(/(..)(?!$)/g, '$1 ');
    throw new Error(
      `${where}: not a legacy PyTorch file: expected it to start with the magic-number pickle ${hex(LEGACY_MAGIC_PICKLE)}, got ${hex(head) || 'nothing'}` +
        (head[0] === 0x50 && head[1] === 0x4b ? ' (a zip: the torch ≥ 1.6 format, not supported here)' : ''),
    );
  }
  const storages = new Map<string, StorageRef>();
  const { registry, storageClasses } = globals(where);
  const parser = new Parser({
    nameResolver: registry,
    unpicklingTypeOfDictionary: 'Map',
    persistentResolver: {
      // torch/serialization.py _legacy_save persistent_id: ('storage', storage_type, key, location, numel, view_metadata).
      resolve: (pid: unknown) => {
        if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length !== 6) throw new Error(`${where}: expected a ('storage', …) persistent id of 6 items, got ${String(pid)}`);
        const [, type, key, , numel, view] = pid as [string, unknown, unknown, unknown, unknown, unknown];
        const typeName = storageClasses.get(type);
        if (!typeName) throw new Error(`${where}: storage ${String(key)}: expected one of torch.${Object.keys(STORAGE_TYPES).join(', torch.')}, got ${String(type)}`);
        if (typeof key !== 'string') throw new Error(`${where}: expected a storage key string, got ${String(key)}`);
        if (!Number.isSafeInteger(numel) || (numel as number) < 0) throw new Error(`${where}: storage ${key}: expected an element count, got ${String(numel)}`);
        if (view !== null) throw new Error(`${where}: storage ${key}: expected no view metadata, got ${JSON.stringify(view)} (storage views are not supported)`);
        const known = storages.get(key);
        if (known && (known.type !== typeName || known.numel !== numel)) throw new Error(`${where}: storage ${key} is described twice differently`);
        const ref = known ?? { key, type: typeName, numel: numel as number };
        storages.set(key, ref);
        return ref;
      },
    },
  });
  const reader = new BufferReader(bytes.subarray(LEGACY_MAGIC_PICKLE.length));
  const read = (what: string): unknown => {
    try {
      return parser.read(reader);
    } catch (error) {
      throw new Error(`${where}: reading the ${what} pickle: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  };

  const protocol = read('protocol version');
  if (protocol !== LEGACY_PROTOCOL_VERSION) throw new Error(`${where}: expected protocol version ${LEGACY_PROTOCOL_VERSION}, got ${String(protocol)}`);
  const sysInfo = read('sys_info');
  // The raw storages are read as little-endian below: a file whose sys_info says it was saved on a big-endian
  // machine is refused rather than guessed at (every file this project reads was saved little-endian).
  if (!(sysInfo instanceof Map) || sysInfo.get('little_endian') !== true) {
    throw new Error(`${where}: expected sys_info with little_endian = True, got ${sysInfo instanceof Map ? String(sysInfo.get('little_endian')) : String(sysInfo)}`);
  }
  const object = read('state dict');
  if (!(object instanceof Map)) throw new Error(`${where}: expected a state dict (collections.OrderedDict), got ${Object.prototype.toString.call(object)}`);
  const keys = read('storage key list');
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) throw new Error(`${where}: expected the list of storage keys, got ${String(keys)}`);
  const listed = new Set(keys as string[]);
  for (const key of storages.keys()) if (!listed.has(key)) throw new Error(`${where}: storage ${key} is used by a tensor but missing from the storage key list`);

  // Raw storages: int64 LE element count, then the elements (THPStorage_(writeFileRaw)).
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let position = LEGACY_MAGIC_PICKLE.length + reader.position;
  const data = new Map<string, Float32Array | BigInt64Array>();
  for (const key of keys as string[]) {
    const ref = storages.get(key);
    if (!ref) throw new Error(`${where}: storage ${key} is listed but no tensor uses it`);
    if (position + 8 > bytes.byteLength) throw new Error(`${where}: storage ${key}: expected an element count at byte ${position}, got end of file (${bytes.byteLength} bytes): truncated`);
    const count = view.getBigInt64(position, true);
    if (count !== BigInt(ref.numel)) throw new Error(`${where}: storage ${key}: expected ${ref.numel} elements, got a count of ${count}`);
    position += 8;
    const { bytes: size } = STORAGE_TYPES[ref.type];
    const end = position + ref.numel * size;
    if (end > bytes.byteLength) throw new Error(`${where}: storage ${key}: expected ${ref.numel * size} bytes from byte ${position}, got ${bytes.byteLength - position}: truncated`);
    if (ref.type === 'FloatStorage') {
      const values = new Float32Array(ref.numel);
      for (let i = 0; i < ref.numel; i++) values[i] = view.getFloat32(position + i * 4, true);
      data.set(key, values);
    } else {
      const values = new BigInt64Array(ref.numel);
      for (let i = 0; i < ref.numel; i++) values[i] = view.getBigInt64(position + i * 8, true);
      data.set(key, values);
    }
    position = end;
  }
  if (position !== bytes.byteLength) throw new Error(`${where}: expected the file to end after ${keys.length} storages at byte ${position}, got ${bytes.byteLength - position} more bytes`);

  const stateDict: StateDict = new Map();
  for (const [name, value] of object) {
    if (typeof name !== 'string') throw new Error(`${where}: expected string keys in the state dict, got ${String(name)}`);
    if (!(value instanceof TensorRef)) throw new Error(`${where}: ${name}: expected a tensor, got ${Object.prototype.toString.call(value)}`);
    const numel = value.shape.reduce((a, b) => a * b, 1);
    if (!isContiguous(value.shape, value.stride)) {
      throw new Error(`${where}: ${name}: expected a contiguous tensor (stride ${JSON.stringify(contiguousStrides(value.shape))} for size ${JSON.stringify(value.shape)}), got stride ${JSON.stringify(value.stride)}`);
    }
    if (value.offset + numel > value.storage.numel) {
      throw new Error(`${where}: ${name}: expected ${numel} elements from offset ${value.offset} inside storage ${value.storage.key} of ${value.storage.numel}, got past its end`);
    }
    const storage = data.get(value.storage.key)!;
    const shape = [...value.shape];
    // slice: a copy, so tensors sharing a storage never alias each other.
    if (storage instanceof Float32Array) stateDict.set(name, { dtype: 'float32', shape, data: storage.slice(value.offset, value.offset + numel) });
    else stateDict.set(name, { dtype: 'int64', shape, data: storage.slice(value.offset, value.offset + numel) });
  }
  return stateDict;
}

/**
 * Drops the `module.` prefix nn.DataParallel adds to every name, as Silent-Face src/anti_spoof_predict.py
 * `_load_model` does (lines 73–84): when the FIRST name contains `module.`, every name loses its first
 * 7 characters. Upstream slices blindly; here a name that does not start with `module.` is an error.
 */
export function stripDataParallelPrefix(stateDict: StateDict, where: string): StateDict {
  const first = stateDict.keys().next();
  if (first.done || !first.value.includes('module.')) return stateDict;
  const stripped: StateDict = new Map();
  for (const [name, tensor] of stateDict) {
    if (!name.startsWith('module.')) throw new Error(`${where}: expected every name to start with "module." (DataParallel), got ${name}`);
    stripped.set(name.slice('module.'.length), tensor);
  }
  return stripped;
}

/** Reads a legacy `.pth` state dict from disk, with the DataParallel prefix removed. */
export function readLegacyStateDict(file: string): StateDict {
  return stripDataParallelPrefix(parseLegacyPth(readFileSync(file), file), file);
}
